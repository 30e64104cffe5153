// Runs before the page paints (a classic script, not a module) so a light-theme choice does
// not flash dark first. The dark, low-glare theme is the default.
(function () {
  var theme = "dark";
  try {
    if (localStorage.getItem("sharecircle.theme") === "light") theme = "light";
  } catch (e) {
    /* storage disabled: keep the default */
  }
  document.documentElement.setAttribute("data-theme", theme);
})();
