// Package printable makes text from outside (a plan's resource addresses,
// what a person typed) safe to show on a terminal or in a chat card: every
// character that could move the cursor, clear the screen, start an escape
// sequence or reorder what is shown is replaced by its escaped form, so a
// reviewer sees that it was there.
//
// It is the one home of that rule: infra/tfplan, bot/card and bot/console
// call it. It does no I/O and knows no surface.
package printable
