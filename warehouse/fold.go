package warehouse

import (
	"unicode"

	"golang.org/x/text/unicode/norm"
)

func stripMarks(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range norm.NFD.String(s) {
		if !unicode.Is(unicode.Mn, r) {
			out = append(out, r)
		}
	}
	return string(out)
}
