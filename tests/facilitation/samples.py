"""One valid instance of every command, aimed at member "a" where it takes a member."""

from __future__ import annotations

import facilitation as fx

SAMPLES: dict[type[fx.Command], fx.Command] = {
    fx.RaiseHand: fx.RaiseHand(),
    fx.LowerHand: fx.LowerHand(),
    fx.Pass: fx.Pass(),
    fx.ShareDone: fx.ShareDone(),
    fx.SetListenOnly: fx.SetListenOnly(True),
    fx.Report: fx.Report(3, "a", "A", "some text", "unkind"),
    fx.OpenRound: fx.OpenRound("Hope", 180, fx.Order.HANDS),
    fx.EndRound: fx.EndRound(),
    fx.PauseRound: fx.PauseRound(),
    fx.ResumeRound: fx.ResumeRound(),
    fx.Extend: fx.Extend(60),
    fx.Skip: fx.Skip(),
    fx.QueueMove: fx.QueueMove("a", 0),
    fx.QueueRemove: fx.QueueRemove("a"),
    fx.SetMode: fx.SetMode(fx.Mode.LISTEN_ONLY),
    fx.Mute: fx.Mute("a", 60),
    fx.Unmute: fx.Unmute("a"),
    fx.AssignListenOnly: fx.AssignListenOnly("a", True),
    fx.Remove: fx.Remove("a", "spam"),
    fx.Ban: fx.Ban("a", 3600, "spam"),
    fx.RemoveMessage: fx.RemoveMessage(3),
    fx.SetLock: fx.SetLock(True),
    fx.SetSlow: fx.SetSlow(10),
    fx.AddFacilitator: fx.AddFacilitator("a"),
    fx.Handover: fx.Handover("a"),
    fx.SetLobby: fx.SetLobby(True),
    fx.Admit: fx.Admit("t-x"),
    fx.Deny: fx.Deny("t-x"),
    fx.PauseRoom: fx.PauseRoom(),
    fx.UnpauseRoom: fx.UnpauseRoom(),
    fx.ResetRoom: fx.ResetRoom(),
    fx.Join: fx.Join("x", "X", "x", ticket="t-x"),
    fx.Leave: fx.Leave("a"),
    fx.Disconnected: fx.Disconnected("a"),
    fx.Reconnected: fx.Reconnected("a"),
    fx.Tick: fx.Tick(),
}
