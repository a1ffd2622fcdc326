package main

import (
	"errors"
	"strings"
)

// flightWords says a `wardstat sql` message (statementError's) as the
// Flight SQL endpoint's: the analyst sent the statement over Flight SQL.
func flightWords(text string) string {
	return strings.ReplaceAll(text, "wardstat sql", "Flight SQL")
}

// flightError is err in the endpoint's words, in lang.
func flightError(err error, lang string) error {
	if err == nil {
		return nil
	}
	return errors.New(flightWords(errorLine(err, lang)))
}
