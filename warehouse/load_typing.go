package warehouse

// Typing is what a load's sample decided about its file's cells, returned
// in LoadResult so that a caller (a test, a profile) reads it as data
// rather than from the debug log.
type Typing struct {
	// DateStyles are, per date column, the strptime formats the typing
	// pass read at once (after typing again, those it added).
	DateStyles map[string][]string
	// FeeTexts are the fee texts the sample showed often that the fast
	// reading of amounts misses ("Miễn phí"), read in the typing pass.
	FeeTexts []string
	// TypedAgain says the rows past the sample kept categories or date
	// styles the sample did not show, and the file was typed a second
	// time with them.
	TypedAgain bool
}
