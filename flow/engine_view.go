package flow

import (
	"context"
	"fmt"

	"github.com/tfpilot/tfpilot/registry"
)

// View gathers what r's card shows (see View): the policy and flow's
// outlook always, the catalogue while a module is being chosen, the
// rendered file and derived names while confirming. An extra that cannot
// be loaded is logged and left out.
func (e *Engine) View(ctx context.Context, r *Request) View {
	v, _ := e.view(ctx, r)
	return v
}

// view is View, also returning why an extra is missing when it may load
// on a later try (not a *UserError such as a module gone from the
// catalogue): a card drawn without it would say the catalogue is empty.
func (e *Engine) view(ctx context.Context, r *Request) (View, error) {
	held, err := e.heldForCard(ctx, r)
	if err != nil {
		e.logFor(r.ID).Warn("hold for card", "err", err) // drawn as not held; Step still refuses
	}
	v := View{Request: r, Policy: e.cfg.Policy, Outlook: OutlookWith(r, e.cfg.Policy, nil, held)}
	var missing error
	switch r.State {
	case ChoosingModule:
		if p := orProject(e.cfg.Policy, "", r.Project); p != "" {
			cat, err := e.Catalog(ctx, p)
			if err != nil {
				e.logFor(r.ID).Warn("catalogue for card", "err", err)
				missing = err
			}
			v.Catalog = cat
		}
	case Confirming:
		m, err := e.module(ctx, r.Project, r.Module)
		if err == nil {
			v.Derived, _ = m.DerivedNames(r.Project, r.Environment, r.Inputs)
		}
		switch {
		case r.Kind == KindDestroy:
			v.Preview = &registry.File{Path: r.File, Label: r.Label}
		case err == nil:
			var f registry.File
			if f, err = render(m, r, true); err == nil {
				v.Preview = &f
			}
		}
		if err != nil && r.Kind != KindDestroy {
			e.logFor(r.ID).Warn("preview for card", "err", err)
			missing = err
		}
	}
	if permanent(missing) {
		missing = nil
	}
	return v, missing
}

// render renders the file r's change writes from module m; redacted, with
// sensitive values replaced by Redacted, for a card.
func render(m *registry.Module, r *Request, redacted bool) (registry.File, error) {
	f, err := registry.Render(m, registry.RenderSpec{
		RequestID: r.ID, Project: r.Project, Environment: r.Environment, Requester: r.Requester.ID,
		CreatedAt: r.CreatedAt, Values: r.Inputs, Redact: redacted,
	})
	if err != nil {
		return registry.File{}, fmt.Errorf("render %s: %w", r.ID, err)
	}
	return f, nil
}
