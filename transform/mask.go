package transform

import (
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// A cell wardstat writes anywhere (a reject's value and raw row, a note,
// an error message) is kept as written only when it is shaped like the
// field its column feeds; anything else may be personal data that slid
// into the column (a name in a date column, a CCCD number in the status
// column, an e-mail anywhere) and is masked: its kind, its length and a
// keyed hash, "‹text 14 #a1b2c3d4›". The clerk still sees "31/02/2025"
// and "Fax", and can tell two masked cells apart, but no masked text can
// be read back without the key.

// maskHashBytes is how much of the HMAC a mask shows: enough to tell two
// cells apart, too little to be worth guessing against.
const maskHashBytes = 4

// MaskCell returns text when it is shaped like field's values (see
// ShapedLike), else its mask. h gives the mask's keyed hash; nil leaves
// the hash out. Not safe for concurrent use of one h.
func (h *Hasher) MaskCell(field, text string) string {
	if h.shapedLike(field, text) {
		return text
	}
	return h.Mask(text)
}

// shapedCacheSize bounds the texts a Hasher remembers the shape of: a
// file's rejects repeat their statuses, channels and procedures.
const shapedCacheSize = 4096

// shapedLike is ShapedLike, remembered per field and text.
func (h *Hasher) shapedLike(field, text string) bool {
	if h == nil || len(text) > 64 {
		return ShapedLike(field, text)
	}
	key := shapeKey{field, text}
	if ok, seen := h.shaped[key]; seen {
		return ok
	}
	if h.shaped == nil || len(h.shaped) >= shapedCacheSize {
		h.shaped = make(map[shapeKey]bool, 64)
	}
	ok := ShapedLike(field, text)
	h.shaped[key] = ok
	return ok
}

type shapeKey struct{ field, text string }

// Mask returns the mask of a text: its kind (email, number or text), its
// length in characters and, with a key, the first bytes of its HMAC.
// "" stays "". h may be nil.
func (h *Hasher) Mask(text string) string {
	if text == "" {
		return ""
	}
	b := make([]byte, 0, 32)
	b = append(b, "‹"...)
	b = append(b, maskKind(text)...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(utf8.RuneCountInString(text)), 10)
	if h != nil {
		b = append(b, " #"...)
		h.mac.Reset()
		h.mac.Write([]byte("cell:"))
		h.mac.Write([]byte(text))
		h.sum = h.mac.Sum(h.sum[:0])
		b = hex.AppendEncode(b, h.sum[:maskHashBytes])
	}
	b = append(b, "›"...)
	return string(b)
}

func maskKind(s string) string {
	if strings.ContainsRune(s, '@') {
		return "email"
	}
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" .-+()/", r):
		default:
			return "text"
		}
	}
	if digits == 0 {
		return "text"
	}
	return "number"
}

// ShapedLike says whether a cell's text is shaped like the values of a
// field, so that keeping it cannot keep personal data:
//   - a date field: a date or time as exports write them ("31/02/2025",
//     "2024-03-15T08:30", "08h30 15/03/2024", an Excel serial), never a
//     run of nine digits or more;
//   - a code (dossier, procedure, unit): one word of at most 64
//     characters, not a bare number of 9 to 12 digits (a phone, an ID);
//   - a category (channel, status, service level, yes/no flags, a fee):
//     a short code ("Fax", "BCCI", "2"), a number, or words every one of
//     which belongs to the labels exports use ("Trực tuyến", "Đã trả kết
//     quả"): a name has a family name, which is none of them;
//   - a procedure name, a sector, a unit's name: a line of text without
//     an '@', a ';' or '|', three commas (the marks of cells run
//     together), a run of five digits or a phone-like run of nine.
//
// A personal field is never shaped like anything, and neither is text
// with control characters or an '@'.
func ShapedLike(field, text string) bool {
	if text == "" {
		return true
	}
	if strings.ContainsRune(text, '@') || hasControl(text) {
		return false
	}
	switch KindOf(field) { // FieldTable
	case KindDate:
		return dateShaped(text)
	case KindCode:
		return codeShaped(text)
	case KindCategory, KindFlag:
		return labelShaped(text)
	case KindFee:
		return feeShaped(text) || labelShaped(text)
	case KindText, KindName:
		return textShaped(text)
	}
	return false
}

// HeaderShaped says whether a cell quoted as a header in a message may be
// quoted as it is: a name the header vocabulary knows (an applicant's
// column's included: "Họ và tên" is a header, not a person), or, when
// inHeader says the cell's row is a header row (it names two fields),
// any short line of text without the marks of personal data; else one
// word of such text.
func HeaderShaped(cell string, inHeader bool) bool {
	if f, _ := MatchHeader(cell); f != "" && len(cell) <= 80 {
		return !strings.ContainsRune(cell, '@') && !hasControl(cell)
	}
	if !textShaped(cell) {
		return false
	}
	// One word (a JSON key, "A") is no one's name and ID number.
	return inHeader || (utf8.RuneCountInString(cell) <= 40 && !strings.ContainsFunc(strings.TrimSpace(cell), unicode.IsSpace))
}

// MaskHeaderCell returns a cell to quote as a header: as it is when
// HeaderShaped, else masked (h may be nil).
func (h *Hasher) MaskHeaderCell(cell string, inHeader bool) string {
	if strings.TrimSpace(cell) == "" || HeaderShaped(cell, inHeader) {
		return cell
	}
	return h.Mask(cell)
}

// MaskHeaderCells is MaskHeaderCell of each cell, into a new slice.
func (h *Hasher) MaskHeaderCells(cells []string, inHeader bool) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = h.MaskHeaderCell(c, inHeader)
	}
	return out
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return true
		}
	}
	return false
}

var (
	dateTime  = `\d{1,2}[:hH]\d{1,2}(?:[:mM']\d{1,2}(?:[.,]\d{1,7})?)?[sS]?(?:\s*(?:AM|PM|am|pm|SA|CH|sa|ch|Sa|Ch))?`
	dateCore  = `(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})|\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2})`
	dateZone  = `(?:\s*(?:[Zz]|UTC|GMT|(?:UTC|GMT)?\s*[+\-]\d{1,2}(?::?\d{2})?))?`
	dateShape = regexp.MustCompile(`^(?:` +
		`(?:` + dateTime + `[ ,]+(?:(?:[Nn]g[àa]y|NG[ÀA]Y)\s+)?)?` + dateCore + `(?:[ T,\-]+(?:l[úu]c\s+)?` + dateTime + `)?` + dateZone +
		`|(?:[Nn]g[àa]y\s+)?\d{1,2}\s+th[áa]ng\s+\d{1,2}\s+n[ăa]m\s+\d{4}` +
		`|\d{1,8}(?:[.,]\d+)?` + // Excel serials, yyyymmdd
		`|(?:19|20)\d{10}(?:\d{2})?` + // yyyymmddHHMM[SS]
		`|/Date\(-?\d{1,15}(?:[+\-]\d{4})?\)/` +
		`)$`)
)

func dateShaped(s string) bool {
	s = strings.TrimSpace(s)
	return len(s) <= 48 && (plainDate(s) || dateShape.MatchString(s))
}

// plainDate is the commonest date, d/m/yyyy or yyyy-mm-dd (any of / - .),
// read without the regular expression.
func plainDate(s string) bool {
	var groups [3]int
	g, n := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			n++
		case (c == '/' || c == '-' || c == '.') && n > 0 && g < 2:
			groups[g], g, n = n, g+1, 0
		default:
			return false
		}
	}
	if g != 2 || n == 0 {
		return false
	}
	groups[2] = n
	a, b, c := groups[0], groups[1], groups[2]
	return b <= 2 && ((a <= 2 && (c == 2 || c == 4)) || (a == 4 && c <= 2))
}

func codeShaped(s string) bool {
	if utf8.RuneCountInString(s) > 64 {
		return false
	}
	digits, letters := 0, false
	for _, r := range strings.TrimSpace(s) {
		switch {
		case unicode.IsSpace(r):
			return false
		case r >= '0' && r <= '9':
			digits++
		case unicode.IsLetter(r):
			letters = true
		}
	}
	// A bare number as long as a phone or an ID card's is masked.
	return letters || digits < 9 || digits > 12
}

func textShaped(s string) bool {
	if utf8.RuneCountInString(s) > 200 || strings.ContainsAny(s, ";|@") || strings.Count(s, ",") > 2 || hasControl(s) {
		return false
	}
	return !hasDigitRun(s, 5) && !phoneLike(s)
}

// hasDigitRun says whether s holds n digits in a row.
func hasDigitRun(s string, n int) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			if run++; run >= n {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// phoneLike says whether s holds nine digits or more joined only by
// spaces, dots, dashes, parentheses or a plus: a phone or an ID number
// however it is grouped ("0912 345 678", "+84 (912) 345.678").
func phoneLike(s string) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if digits++; digits >= 9 {
				return true
			}
		case c == ' ' || c == '.' || c == '-' || c == '(' || c == ')' || c == '+':
		default:
			digits = 0
		}
	}
	return false
}

var feeShape = regexp.MustCompile(`^[(\-]?\s*(?:\d{1,8}|[1-9]\d{0,2}(?:[.,]\d{3})+|0)(?:[.,]\d{1,2})?(?:[eE][+\-]?\d{1,4})?\s*\)?\s*(?:đ|Đ|₫|vnđ|VNĐ|vnd|VND|đồng|Đồng|dong)?$`)

func feeShaped(s string) bool {
	s = strings.TrimSpace(s)
	return len(s) <= 32 && feeShape.MatchString(s)
}

// labelShaped: a short code, or words that all belong to labels (see
// labelWords, labelPhrases).
func labelShaped(s string) bool {
	if utf8.RuneCountInString(s) > 48 {
		return false
	}
	words := labelTokens(s)
	if len(words) == 0 {
		return true // marks only ("-", "✓")
	}
	if len(words) == 1 {
		w := words[0]
		return utf8.RuneCountInString(w) <= 16 && !hasDigitRun(w, 3)
	}
	for i := 0; i < len(words); {
		w := words[i]
		if isDigits(w) {
			if len(w) > 2 {
				return false
			}
			i++
			continue
		}
		if n := phraseAt(words, i); n > 0 {
			i += n
			continue
		}
		if labelWords[w] {
			i++
			continue
		}
		return false
	}
	return true
}

// labelTokens splits a label into folded words (Fold), at anything that is
// not a letter or digit.
func labelTokens(s string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	for _, r := range norm.NFD.String(s) {
		f, ok := foldRune(r)
		switch {
		case !ok: // a combining mark: part of the word
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(f)
		default:
			flush()
		}
	}
	flush()
	return out
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// phraseAt is how many words from i a label phrase covers (0: none).
func phraseAt(words []string, i int) int {
	best := 0
	for _, p := range labelPhrases {
		if len(p) > best && i+len(p) <= len(words) {
			match := true
			for j, w := range p {
				if words[i+j] != w {
					match = false
					break
				}
			}
			if match {
				best = len(p)
			}
		}
	}
	return best
}

// labelWords may stand alone in a multi-word label: none is a Vietnamese
// family, middle or given name, folded or not.
var labelWords = setOf(`da chua khong co duoc moi bi va hoac
	bcci vnpost dvc dvcqg vneid online offline direct postal post fax zalo app web website internet mobile portal email mail
	accepted received processing pending finished completed complete done returned withdrawn stopped refused rejected cancelled canceled
	submitted transfer transferred supplement awaiting fee payment in progress result ready closed new not yet at intake under review
	yes no true false none free level full partial paper counter walk person service public md`)

// labelPhrases are words that belong to a label only together: alone,
// each may be part of a name ("Đỗ", "Lý", "Huy", "Tuyến", "Tài", "Đặng").
var labelPhrases = func() [][]string {
	var out [][]string
	for _, p := range strings.Split(`muc do|truc tuyen|truc tiep|toan trinh|mot phan|buu chinh|buu dien|cong ich|chuyen phat|dich vu cong|dich vu|
		qua mang|dien tu|cong thong tin|ung dung|bo phan|mot cua|tai quay|tai bo phan|tai co quan|tai ubnd|nop truc tiep|nop truc tuyen|nop ho so|
		ho so|xu ly|giai quyet|thu ly|tra ket qua|ket qua|tiep nhan|bo sung|yeu cau|rut ho so|da rut|xin rut|da huy|huy ho so|tu choi|
		dung xu ly|ngung xu ly|dung giai quyet|khong giai quyet|hoan thanh|hoan tat|chuyen xu ly|lien thong|phe duyet|cho duyet|cho ky|
		tham dinh|nop phi|nop le phi|le phi|thanh toan|nghia vu tai chinh|qua han|dung han|truoc han|tre han|trong han|mien phi|khong thu|
		thu phi|xac nhan|dang ky|xu ly xong|giai quyet xong|ket thuc|tra lai|cong dan|nguoi dan|dang xu ly|dang giai quyet|dang thu ly|dang cho|
		da tra|cho tra|duoc tiep nhan|muc do 3|muc do 4`, "|") {
		if f := strings.Fields(p); len(f) > 1 {
			out = append(out, f)
		}
	}
	return out
}()

func setOf(words string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.Fields(words) {
		out[w] = true
	}
	return out
}
