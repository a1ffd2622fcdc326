// Package msg is wardstat's localisable error: a message written in
// Vietnamese and English where it is made (in a package that does not
// know the reader's language), rendered by the CLI in the reader's.
//
// Error() is the English text (for logs and tests); Render gives the
// text of any error chain in a language, each localisable error in it
// rendered in that language, whatever wraps it (fmt.Errorf's %w or %v).
package msg

import (
	"fmt"
	"strings"
)

// Localised is an error that can say itself in "vi" or "en".
type Localised interface {
	error
	Text(lang string) string
}

// Error is a message in both languages, with its arguments: an argument
// that is an error is rendered in the same language, and is wrapped (as
// %w would).
type Error struct {
	vi, en string
	args   []any
}

// Errorf makes an error from a Vietnamese and an English format taking the
// same arguments.
func Errorf(vi, en string, args ...any) error {
	return &Error{vi: vi, en: en, args: args}
}

func (e *Error) Error() string { return e.Text("en") }

// Text is the message in lang ("en", else Vietnamese).
func (e *Error) Text(lang string) string {
	format := e.vi
	if lang == "en" {
		format = e.en
	}
	args := make([]any, len(e.args))
	for i, a := range e.args {
		if err, ok := a.(error); ok {
			args[i] = Render(err, lang)
		} else {
			args[i] = a
		}
	}
	// %w is for errors.Is; the text is rendered already.
	return fmt.Sprintf(strings.ReplaceAll(format, "%w", "%s"), args...)
}

// Unwrap gives the arguments that are errors.
func (e *Error) Unwrap() []error {
	var out []error
	for _, a := range e.args {
		if err, ok := a.(error); ok {
			out = append(out, err)
		}
	}
	return out
}

// Render is err's text in lang: its English text with every localisable
// error in its chain said in lang instead.
func Render(err error, lang string) string {
	if err == nil {
		return ""
	}
	if l, ok := err.(Localised); ok {
		return l.Text(lang)
	}
	s := err.Error()
	seen := 0
	var walk func(error)
	walk = func(e error) {
		if e == nil || seen > 64 {
			return
		}
		seen++
		if l, ok := e.(Localised); ok {
			if en := l.Error(); en != "" && strings.Contains(s, en) {
				s = strings.Replace(s, en, l.Text(lang), 1)
				return // its Text rendered what it wraps
			}
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, inner := range u.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return s
}
