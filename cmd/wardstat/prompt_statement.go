package main

import (
	"strings"

	"wardstat/warehouse"
)

// statementEnd is a piece no statement can be: a NUL, which the splitter
// counts as code.
const statementEnd = "\x00"

// statementComplete says whether the text typed so far at the prompt ends
// its last statement: a ';' outside quotes and comments, followed by
// nothing but blanks and comments. It asks the statement splitter
// (warehouse.SplitStatements), so a ';' inside a string ('x;' at the end
// of a line) does not end the statement, and a '-- note' after the ';'
// does not keep the prompt waiting. A marker put after the text ends the
// last piece; that piece holds nothing else but comments only when
// everything before it was ended (inside an open string or a statement
// without its ';', the piece holds code).
//
// A text of comments only waits for its statement (a '-- note' line typed
// before it); one with a ';' (only semicolons and comments) is complete,
// and the sql command refuses it.
func statementComplete(text string) bool {
	if len(warehouse.SplitStatements(text)) == 0 {
		return strings.Contains(text, ";")
	}
	pieces := warehouse.SplitStatements(text + "\n" + statementEnd)
	if len(pieces) == 0 {
		return false
	}
	last, ok := strings.CutSuffix(pieces[len(pieces)-1], statementEnd)
	return ok && len(warehouse.SplitStatements(last)) == 0
}

// historyLines is an entry of the history file: a statement keeps its
// lines (a '-- note' ends at its line, so joining the lines would comment
// out the rest), each line after the first starting with a tab. The
// prompt trims the lines it reads, so no line of a statement starts with
// one.
func historyLines(entry string) string { return strings.ReplaceAll(entry, "\n", "\n\t") }

// historyEntries reads the history file back into statements.
func historyEntries(file string) []string {
	var out []string
	for _, line := range strings.Split(file, "\n") {
		if rest, ok := strings.CutPrefix(line, "\t"); ok && len(out) > 0 {
			out[len(out)-1] += "\n" + rest
			continue
		}
		if strings.TrimSpace(line) != "" {
			out = append(out, line)
		}
	}
	return out
}
