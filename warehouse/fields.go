package warehouse

import (
	"slices"

	"wardstat/transform"
)

// The load's lists of fields, each made from transform.FieldTable (one row
// per canonical field: its kind, parser, typed columns and label), so that
// a field added there is staged, typed, read again, kept, warned of and
// rejected without another list to edit. TestFieldListsAreTheHandLists pins
// them.
var (
	// dateFields are the staged fields that hold timestamps.
	dateFields = transform.DateFields(transform.FieldTable)
	// textFields are the staged fields kept as cleaned text: codes and
	// free text.
	textFields = transform.FieldsOf(transform.FieldTable, transform.KindCode, transform.KindText)
	// categories are the fields of few distinct texts, each read by its
	// parser macro into its typed columns.
	categories = categoriesOf(transform.FieldTable)
	// readLater are the fields whose cells the typing pass may leave to
	// the full parsers: categories, fees, dates.
	readLater = slices.Concat(transform.FieldsOf(transform.FieldTable, transform.KindCategory, transform.KindFlag),
		transform.FieldsOf(transform.FieldTable, transform.KindFee), dateFields)
	// lenientChecks are the fields whose unreadable cells are left empty
	// with a warning (unreadable_value), each with its typed column.
	lenientChecks = lenientOf(transform.FieldTable)
)

// The ENUM types of the vocabulary columns (transform.FieldTable's).
const (
	channelType     = transform.ChannelEnum
	onlineLevelType = transform.OnlineLevelEnum
	dueSourceType   = transform.DueSourceEnum
)

func categoriesOf(table []transform.Field) []category {
	var out []category
	for _, f := range table {
		if f.Kind != transform.KindCategory && f.Kind != transform.KindFlag {
			continue
		}
		c := category{field: f.Name}
		for _, t := range f.Typed {
			c.outs = append(c.outs, struct{ name, parse, typ string }{t.Name, t.Parse, t.Type})
		}
		out = append(out, c)
	}
	return out
}

func lenientOf(table []transform.Field) []struct{ field, parsed string } {
	var out []struct{ field, parsed string }
	for _, f := range table {
		if f.Lenient {
			out = append(out, struct{ field, parsed string }{f.Name, f.Typed[0].Name})
		}
	}
	return out
}

// dateColumn names a date field's column in stage_typed: a completion or
// withdrawal date as the file gives it is "_in" until the status rules
// have had their say (its typed column in transform.FieldTable).
func dateColumn(f string) string {
	if r, ok := transform.FieldOf(f); ok && len(r.Typed) > 0 {
		return r.Typed[0].Name
	}
	return f
}

// vocabularyOf is the ENUM type a state column is stored as: its field's
// first typed column's.
func vocabularyOf(column string) string {
	if r, ok := transform.FieldOf(column); ok && len(r.Typed) > 0 {
		return r.Typed[0].Type
	}
	panic("no vocabulary column " + column)
}
