package transform

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"unicode"
)

// referenceKey is ApplicantKey as first written, allocating freely: the
// allocation-free one must give the very same keys, or the keys stored by
// earlier loads would stop matching.
func referenceKey(key []byte, id, phone, email, name string) string {
	var kind, v string
	switch {
	case digitsOnly(id) != "":
		kind, v = "id", strings.ToUpper(alnumOnly(id))
	case digitsOnly(phone) != "":
		kind, v = "phone", normalisePhone(phone)
	case strings.TrimSpace(email) != "":
		kind, v = "email", strings.ToLower(strings.TrimSpace(email))
	case strings.TrimSpace(name) != "":
		kind, v = "name", strings.ToLower(strings.Join(strings.Fields(name), " "))
	default:
		return ""
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(kind + ":" + v))
	return hex.EncodeToString(mac.Sum(nil))[:32]
}

func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func alnumOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// normalisePhone folds +84 / 84 / 0 prefixes to one form.
func normalisePhone(s string) string {
	d := digitsOnly(s)
	switch {
	case strings.HasPrefix(d, "84") && len(d) >= 11:
		d = "0" + d[2:]
	case !strings.HasPrefix(d, "0") && len(d) == 9:
		d = "0" + d
	}
	return d
}

func TestApplicantKeyMatchesReference(t *testing.T) {
	h := NewHasher([]byte("k"))
	for _, c := range [][4]string{
		{"", "", "", ""}, {" ", "", "", " \t"},
		{"001203004567", "0912345678", "a@b.vn", "Nguyễn Văn A"},
		{"", "+84 912 345 678", "", ""}, {"", "84912345678", "", ""}, {"", "912345678", "", ""},
		{"", "0912.345.678", "", ""}, {"", "84-12", "", ""}, {"", "", " Ánh@Mail.VN ", ""},
		{"", "", "", "  NGUYỄN   Văn\u00a0 A "}, {"", "", "", "Đặng\xffThị"}, {"cccd: 0a1b", "", "", ""},
		{"ǅ123", "", "", ""}, {"", "", "", "ǅemal"},
	} {
		got := h.ApplicantKey(c[0], c[1], c[2], c[3])
		if want := referenceKey([]byte("k"), c[0], c[1], c[2], c[3]); got != want {
			t.Errorf("ApplicantKey%q = %s, want %s", c, got, want)
		}
	}
}

func FuzzApplicantKey(f *testing.F) {
	f.Add("001203004567", "0912345678", "a@b.vn", "Nguyễn Văn A")
	f.Add("", "+84 912 345 678", "", "")
	f.Add("", "", "", " NGUYỄN  Văn A")
	h := NewHasher([]byte("k"))
	f.Fuzz(func(t *testing.T, id, phone, email, name string) {
		if got, want := h.ApplicantKey(id, phone, email, name), referenceKey([]byte("k"), id, phone, email, name); got != want {
			t.Fatalf("ApplicantKey(%q, %q, %q, %q) = %s, want %s", id, phone, email, name, got, want)
		}
	})
}
