package bot

import (
	"bytes"
	"os"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// TestManifest checks the Slack app manifest parses and asks for exactly
// the scopes and events the bot uses.
func TestManifest(t *testing.T) {
	b, err := os.ReadFile("../slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			AppHome struct {
				HomeTab bool `yaml:"home_tab_enabled"`
			} `yaml:"app_home"`
			SlashCommands []struct {
				Command string `yaml:"command"`
				URL     string `yaml:"url"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Events struct {
				Bot []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
			Interactivity struct {
				Enabled bool `yaml:"is_enabled"`
			} `yaml:"interactivity"`
			SocketMode bool `yaml:"socket_mode_enabled"`
		} `yaml:"settings"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("manifest is not YAML: %v", err)
	}
	if !m.Settings.SocketMode || !m.Settings.Interactivity.Enabled || !m.Features.AppHome.HomeTab {
		t.Errorf("socket mode %v, interactivity %v, home tab %v: all must be on", m.Settings.SocketMode, m.Settings.Interactivity.Enabled, m.Features.AppHome.HomeTab)
	}
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/tfpilot" || m.Features.SlashCommands[0].URL != "" {
		t.Errorf("slash commands = %+v, want /tfpilot without a URL", m.Features.SlashCommands)
	}
	scopes := slices.Sorted(slices.Values(m.OAuth.Scopes.Bot))
	if diff := cmp.Diff([]string{"channels:history", "chat:write", "commands", "usergroups:read"}, scopes); diff != "" {
		t.Errorf("bot scopes (-want +got):\n%s", diff)
	}
	events := slices.Sorted(slices.Values(m.Settings.Events.Bot))
	if diff := cmp.Diff([]string{"app_home_opened", "message.channels"}, events); diff != "" {
		t.Errorf("bot events (-want +got):\n%s", diff)
	}
}
