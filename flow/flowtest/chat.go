package flowtest

import (
	"context"
	"fmt"
	"sync"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
)

// Chat is an in-memory flow.Chat that records what it was asked to show.
type Chat struct {
	Faults
	mu      sync.Mutex
	posts   map[string]int // request → cards posted (new threads)
	updates map[string]int // request → card updates
	last    map[string]*flow.Request
	views   map[string]flow.View
	chans   map[string][]string
	replies map[string][]string
	notes   map[string][]string
	forms   map[string][]string
	ts      int
}

var _ flow.Chat = (*Chat)(nil)

// NewChat returns an empty chat.
func NewChat() *Chat {
	return &Chat{posts: map[string]int{}, updates: map[string]int{}, last: map[string]*flow.Request{}, views: map[string]flow.View{}, chans: map[string][]string{},
		replies: map[string][]string{}, notes: map[string][]string{}, forms: map[string][]string{}}
}

// ShowCard implements flow.Chat: it posts a card (new TS) when r has no
// thread yet and updates it otherwise.
func (c *Chat) ShowCard(ctx context.Context, v flow.View) (flow.Thread, error) {
	if err := c.hit(ctx, "ShowCard"); err != nil {
		return flow.Thread{}, err
	}
	c.mu.Lock()
	v.Request = flow.CloneRequest(v.Request)
	c.views[v.Request.ID] = v
	c.mu.Unlock()
	return c.showCard(v.Request), nil
}

func (c *Chat) showCard(r *flow.Request) flow.Thread {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last[r.ID] = flow.CloneRequest(r)
	th := r.Thread
	if th.TS == "" {
		c.ts++
		c.posts[r.ID]++
		th.TS = fmt.Sprintf("1700000000.%06d", c.ts)
		if th.Channel == "" {
			th.Channel = "C0TFPILOT"
		}
		th.URL = "https://example.test/archives/" + th.Channel + "/p" + th.TS
		return th
	}
	c.updates[r.ID]++
	return th
}

// Reply implements flow.Chat.
func (c *Chat) Reply(ctx context.Context, r *flow.Request, text string) error {
	if err := c.hit(ctx, "Reply"); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.replies[r.ID] = append(c.replies[r.ID], text)
	return nil
}

// Notify implements flow.Chat.
func (c *Chat) Notify(ctx context.Context, r *flow.Request, channel, text string) error {
	if err := c.hit(ctx, "Notify"); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.notes[r.ID] = append(c.notes[r.ID], text)
	c.chans[r.ID] = append(c.chans[r.ID], channel)
	return nil
}

// OpenInputs implements flow.Chat.
func (c *Chat) OpenInputs(ctx context.Context, r *flow.Request, m *registry.Module, triggerID string) error {
	if err := c.hit(ctx, "OpenInputs"); err != nil {
		return err
	}
	if m == nil || m.Name != r.Module {
		return fmt.Errorf("open inputs of %s: given module %v, want %s", r.ID, m, r.Module)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.forms[r.ID] = append(c.forms[r.ID], triggerID)
	return nil
}

// Cards returns how often request id's card was shown (posted or updated).
func (c *Chat) Cards(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.posts[id] + c.updates[id]
}

// Posts returns how many cards were posted for request id (1 when all is well).
func (c *Chat) Posts(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.posts[id]
}

// LastCard returns the request as last shown on its card.
func (c *Chat) LastCard(id string) *flow.Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r := c.last[id]; r != nil {
		return flow.CloneRequest(r)
	}
	return nil
}

// LastView returns what the card of request id was last drawn from.
func (c *Chat) LastView(id string) flow.View {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.views[id]
}

// NotifyChannels returns the channels the notifications about request id
// were posted to, in order.
func (c *Chat) NotifyChannels(id string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.chans[id]...)
}

// Replies returns the thread replies of request id.
func (c *Chat) Replies(id string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.replies[id]...)
}

// Notifications returns the notifications about request id.
func (c *Chat) Notifications(id string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.notes[id]...)
}

// Forms returns the trigger IDs input forms were opened with for request id.
func (c *Chat) Forms(id string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.forms[id]...)
}
