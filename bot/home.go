package bot

import (
	"context"

	"github.com/slack-go/slack"
	"github.com/tfpilot/tfpilot/bot/card"
	"github.com/tfpilot/tfpilot/flow"
	"go.uber.org/zap"
)

// homeView builds the App Home tab: requests awaiting the person's
// approval, then their own open requests.
func homeView(mine, awaiting []*flow.Request) slack.HomeTabViewRequest {
	var blocks []slack.Block
	for i, c := range card.Home(mine, awaiting) {
		if i > 0 {
			blocks = append(blocks, slack.NewDividerBlock())
		}
		blocks = append(blocks, renderBlocks(c, MaxViewBlocks/2-1)...)
	}
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}
}

// publishHome refreshes user's App Home tab.
func (s *Slack) publishHome(ctx context.Context, user string) {
	eng := s.engine()
	actor := s.resolveGroups(ctx, s.actor(user, ""))
	mine, err := eng.List(ctx, flow.Filter{Requester: user, States: openStates})
	if err != nil {
		s.log.Warn("home: list", zap.Error(err))
		return
	}
	waiting, err := eng.List(ctx, flow.Filter{States: []flow.State{flow.AwaitingApproval}})
	if err != nil {
		s.log.Warn("home: list", zap.Error(err))
		return
	}
	outlooks, err := eng.Outlooks(ctx, waiting, &actor)
	if err != nil {
		s.log.Warn("home: outlooks", zap.Error(err))
		return
	}
	var awaiting []*flow.Request
	for i, r := range waiting {
		if outlooks[i].Offers(flow.EvApprove) {
			awaiting = append(awaiting, r)
		}
	}
	err = retry(ctx, func() error {
		_, err := s.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user, View: homeView(mine, awaiting)})
		return err
	})
	if err != nil {
		s.log.Warn("views.publish", zap.String("user", user), zap.Error(err))
	}
}
