package tui

import "charm.land/bubbles/v2/key"

// keyMap is every binding of the console. The help overlay is generated from
// it, so changing a binding changes the help.
type keyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom, Follow key.Binding
	Open, Back, NextTab, PrevTab                    key.Binding
	DetailUp, DetailDown                            key.Binding
	Filter, NextMatch, PrevMatch, ToggleKind        key.Binding
	Pause, Clear, Copy, Export, HAR, LoadAll        key.Binding
	Mouse, Help, Quit                               key.Binding
	// Submit and Cancel close the prompt (filter, search, export and HAR
	// file names); its editing keys are the textinput's own KeyMap.
	Submit, Cancel key.Binding
}

// defaultKeyMap returns the default bindings: vim keys and arrows both, and
// nothing essential only on []{} (they need AltGr on some layouts).
func defaultKeyMap() keyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return keyMap{
		Up:         b([]string{"up", "k"}, "↑/k", "up"),
		Down:       b([]string{"down", "j"}, "↓/j", "down"),
		PageUp:     b([]string{"pgup", "ctrl+u", "ctrl+b"}, "pgup/^u", "page up"),
		PageDown:   b([]string{"pgdown", "ctrl+d", "ctrl+f", "space"}, "pgdn/^d", "page down"),
		Top:        b([]string{"home", "g"}, "home/g", "oldest (loads history)"),
		Bottom:     b([]string{"end", "G"}, "end/G", "newest + follow"),
		Follow:     b([]string{"f"}, "f", "follow"),
		Open:       b([]string{"enter"}, "enter", "detail"),
		DetailUp:   b([]string{"K", "shift+up"}, "K/⇧↑", "scroll detail up (split)"),
		DetailDown: b([]string{"J", "shift+down"}, "J/⇧↓", "scroll detail down (split)"),
		Back:       b([]string{"esc", "backspace"}, "esc", "back / cancel"),
		NextTab:    b([]string{"tab", "right", "l"}, "tab/→/l", "next tab"),
		PrevTab:    b([]string{"shift+tab", "left", "h"}, "⇧tab/←/h", "previous tab"),
		Filter:     b([]string{"/"}, "/", "filter / search"),
		NextMatch:  b([]string{"n"}, "n", "next match"),
		PrevMatch:  b([]string{"N"}, "N", "previous match"),
		ToggleKind: b([]string{"1", "2", "3", "4", "5", "6"}, "1-6", "show/hide a kind (see bar)"),
		Pause:      b([]string{"p"}, "p", "pause"),
		Clear:      b([]string{"c"}, "c", "clear view"),
		Copy:       b([]string{"y"}, "y", "copy JSON (OSC 52)"),
		Export:     b([]string{"e"}, "e", "export JSON lines"),
		HAR:        b([]string{"H"}, "H", "HAR + curl"),
		LoadAll:    b([]string{"a"}, "a", "whole body"),
		Mouse:      b([]string{"m"}, "m", "toggle mouse capture"),
		Help:       b([]string{"?"}, "?", "help"),
		Quit:       b([]string{"q", "ctrl+c"}, "q/^c", "quit"),
		Submit:     b([]string{"enter"}, "enter", "apply"),
		Cancel:     b([]string{"esc"}, "esc", "cancel"),
	}
}

// ShortHelp implements help.KeyMap: the footer. Which of these show
// depends on where the user is: the model switches bindings on and off
// with SetEnabled (see model.syncKeys), and help skips disabled ones.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Back, k.NextTab, k.Help, k.Filter, k.Open, k.NextMatch, k.LoadAll, k.Follow, k.Pause, k.Quit}
}

// FullHelp implements help.KeyMap: the help overlay, in two columns.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Follow, k.Open, k.Back, k.NextTab, k.PrevTab, k.DetailUp, k.DetailDown, k.Mouse},
		{k.Filter, k.NextMatch, k.PrevMatch, k.LoadAll, k.ToggleKind, k.Pause, k.Clear, k.Copy, k.Export, k.HAR, k.Help, k.Quit},
	}
}

// all returns every binding, for switching them all on.
func (k *keyMap) all() []*key.Binding {
	return []*key.Binding{&k.Up, &k.Down, &k.PageUp, &k.PageDown, &k.Top, &k.Bottom, &k.Follow, &k.Open, &k.Back, &k.NextTab, &k.PrevTab,
		&k.DetailUp, &k.DetailDown, &k.Filter, &k.NextMatch, &k.PrevMatch, &k.ToggleKind, &k.Pause, &k.Clear, &k.Copy, &k.Export, &k.HAR,
		&k.LoadAll, &k.Mouse, &k.Help, &k.Quit, &k.Submit, &k.Cancel}
}
