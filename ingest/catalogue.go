package ingest

import (
	"bufio"
	"io"
	"strings"
)

// Catalogue is a reference table wardstat imports with a command of its
// own, not a ward's export: its kind ("units", "procedures", "calendar")
// and the command that imports it.
type Catalogue struct {
	Kind, Command string
}

// catalogues are the reference tables by the columns their header must
// hold (the columns their import reads).
var catalogues = []struct {
	Catalogue
	columns []string
}{
	{Catalogue{"units", "units import"}, []string{"code", "name", "valid_from"}},
	{Catalogue{"procedures", "procedures import"}, []string{"procedure_code", "working_days"}},
	{Catalogue{"calendar", "calendar import"}, []string{"day", "working"}},
}

// CatalogueFile says whether a file is one of wardstat's reference tables
// (the unit registry, the procedure catalogue, the calendar's days) by its
// first line, so that a folder of exports with the registry in it loads
// the exports and says what the registry is, rather than refuse it as an
// export with no dossier column. nil when it is not one, or unreadable
// (the load then says why).
func CatalogueFile(path string) *Catalogue {
	f, err := OpenRegular(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	line, err := bufio.NewReader(io.LimitReader(f, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return nil
	}
	line = strings.TrimPrefix(strings.TrimSpace(line), "\ufeff")
	have := map[string]bool{}
	for _, c := range strings.Split(line, ",") {
		have[strings.ToLower(strings.Trim(strings.TrimSpace(c), `"`))] = true
	}
	for _, c := range catalogues {
		all := true
		for _, col := range c.columns {
			all = all && have[col]
		}
		if all {
			cat := c.Catalogue
			return &cat
		}
	}
	return nil
}
