// Package card is the surface-neutral model of everything TfPilot shows a
// person about requests: the status card of a request in each state, the
// project/module/environment choice, the confirm card with the rendered
// change, lists, help, the module catalogue and the input form.
//
// A Card is plain data (title, status line, fields, sections of lines with
// "…and N more" truncation, links, a code block, buttons carrying an action
// and a value). Surfaces render it: package bot renders Block Kit for Slack,
// package bot/console renders plain text with numbered buttons.
//
// card must not import slack-go or any surface's SDK, and must do no I/O:
// whatever a card needs (catalogue, policy, preview) comes in as arguments.
package card
