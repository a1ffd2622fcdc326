package sqlmodels

import (
	"strings"
	"testing"
)

// Docs describe each object once, as its last definition has it: a table
// renamed by a migration under its new name, a table a model replaces by a
// view as the view, and no migration's "Schema version N:" lead.
func TestDocsFollowTheLastDefinition(t *testing.T) {
	kinds := map[string]string{}
	for _, d := range Docs() {
		if _, dup := kinds[d.Name]; dup {
			t.Errorf("%s is described twice", d.Name)
		}
		kinds[d.Name] = d.Kind
		if strings.HasPrefix(d.Text, "Schema version") {
			t.Errorf("%s: %q", d.Name, d.Text)
		}
	}
	for name, kind := range map[string]string{"dossiers": "table", "dossier_history": "table", "dossier_versions": "view", "meta": "table", "report_form": "macro"} {
		if kinds[name] != kind {
			t.Errorf("%s is a %q, want a %s", name, kinds[name], kind)
		}
	}
}

// TestEveryDocHasVietnamese: describe speaks Vietnamese by default, so
// every documented object needs its "vi:" text, and no changelog.
func TestEveryDocHasVietnamese(t *testing.T) {
	for _, d := range Docs() {
		if d.Text != "" && d.VI == "" {
			t.Errorf("%s: no Vietnamese (a \"-- vi:\" line in the comment above it)", d.Name)
		}
		if strings.Contains(d.Text, "Before,") || strings.Contains(d.Text, "(Before") {
			t.Errorf("%s: a changelog sentence in its description: %s", d.Name, d.Text)
		}
	}
}
