package transform

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Vietnamese folding, the one rule every key and label match in Go uses:
// no diacritics (the text decomposed, NFD, its combining marks dropped),
// đ and Đ as d, lower case. What counts as a word is each caller's own:
// HeaderKey keeps every letter and digit, labelTokens splits at anything
// else, and the warehouse's ward-report key keeps only a-z and 0-9 (a
// letter folding leaves outside ASCII, such as ø, separates words there).

// Fold is s folded: no diacritics, đ as d, lower case. Every other rune
// (spaces, punctuation, letters outside Latin) is kept.
func Fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if f, ok := foldRune(r); ok {
			b.WriteRune(f)
		}
	}
	return b.String()
}

// foldRune folds one rune of NFD text: a combining mark is dropped (ok
// false), đ and Đ become d, any other rune is lower-cased.
func foldRune(r rune) (folded rune, ok bool) {
	switch {
	case r == 'đ' || r == 'Đ':
		return 'd', true
	case unicode.Is(unicode.Mn, r):
		return 0, false
	}
	return unicode.ToLower(r), true
}
