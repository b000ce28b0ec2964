// Package bot is TfPilot's Slack surface: a Socket Mode client that acks
// every envelope at once, drops duplicate deliveries, turns slash commands,
// button clicks, modal submissions and thread replies into flow events on a
// bounded worker pool (in order per thread, in parallel across threads), and
// renders package card's surface-neutral cards as Block Kit within Slack's
// limits. Outbound and inbound are separate values, wired once by cmd/bot:
// *Chat implements flow.Chat, so the engine shows cards, replies,
// notifications and input forms through it, drawing only what each call
// carries (a card from its flow.View); it never calls the engine. *Slack
// takes people's events to the engine.
//
// bot must not import infra/* or reach GitHub, S3 or the store directly:
// everything about requests goes through the Engine interface declared
// here. slack-go is confined to this package (bot/card and bot/command stay
// surface-neutral).
package bot
