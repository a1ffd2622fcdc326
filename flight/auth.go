package flight

import (
	"bufio"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"wardstat/internal/msg"
)

// MinTokenLength is the shortest token accepted: a token is a password
// sent by every client, not something a person types.
const MinTokenLength = 16

// Tokens are the bearer tokens the endpoint accepts, each with a name
// that the query log shows in its place.
type Tokens struct {
	names  []string
	tokens [][]byte
}

// Len is how many tokens there are.
func (t *Tokens) Len() int {
	if t == nil {
		return 0
	}
	return len(t.tokens)
}

// Add adds a token under a name.
func (t *Tokens) Add(name, token string) error {
	if len(token) < MinTokenLength {
		return msg.Errorf("mã của %q ngắn hơn %d ký tự; hãy tạo mã dài, ví dụ openssl rand -hex 24",
			"the token of %q is shorter than %d characters; make a long one, e.g. openssl rand -hex 24", name, MinTokenLength)
	}
	for i := 0; i < len(token); i++ {
		if c := token[i]; c < 0x20 || c > 0x7e {
			return msg.Errorf("mã của %q có ký tự ngoài ASCII hoặc ký tự điều khiển (vị trí %d), không gửi được trong tiêu đề Bearer; hãy tạo mã bằng openssl rand -hex 24",
				"the token of %q has a non-ASCII or control character (at byte %d), which cannot be sent in a Bearer header; make one with openssl rand -hex 24", name, i+1)
		}
	}
	for _, n := range t.names {
		if n == name {
			return msg.Errorf("tên %q có hai mã; mỗi tên một mã", "the name %q has two tokens; one token a name", name)
		}
	}
	t.names = append(t.names, name)
	t.tokens = append(t.tokens, []byte(token))
	return nil
}

// Name is the name of a token, ok false when it is none of them. Every
// token is compared in constant time.
func (t *Tokens) Name(token string) (name string, ok bool) {
	if t == nil {
		return "", false
	}
	given := []byte(token)
	for i, want := range t.tokens {
		if subtle.ConstantTimeCompare(given, want) == 1 && !ok {
			name, ok = t.names[i], true
		}
	}
	return name, ok
}

// LoadTokens reads a tokens file (one "name:token" a line; blank lines
// and lines starting with # are skipped), refusing a file that its group
// or others may read, and adds WARDSTAT_FLIGHT_TOKEN (named "env") when
// it is set. path "" reads only the variable.
func LoadTokens(path string) (*Tokens, error) {
	t := &Tokens{}
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return nil, msg.Errorf("tệp mã truy cập: %w", "tokens file: %w", err)
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return nil, err
		}
		if st.Mode().Perm()&0o077 != 0 {
			return nil, msg.Errorf("%s: nhóm hoặc người khác đọc được tệp mã truy cập (quyền %04o); hãy chạy chmod 600 %s",
				"%s: the tokens file is readable by its group or others (mode %04o); run chmod 600 %s", path, st.Mode().Perm(), path)
		}
		if err := t.parse(f, path); err != nil {
			return nil, err
		}
	}
	// A trailing newline (echo, a secrets file) is no part of the token.
	if env := strings.TrimSpace(os.Getenv(TokenEnv)); env != "" {
		if err := t.Add("env", env); err != nil {
			return nil, fmt.Errorf("%s: %w", TokenEnv, err)
		}
	}
	return t, nil
}

func (t *Tokens) parse(r io.Reader, path string) error {
	sc := bufio.NewScanner(io.LimitReader(r, 1<<20))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		name, token, found := strings.Cut(text, ":")
		name, token = strings.TrimSpace(name), strings.TrimSpace(token)
		if !found || name == "" || token == "" {
			return msg.Errorf("%s, dòng %d: hãy ghi tên:mã (ví dụ phong-tk:9f8e…)", "%s, line %d: write name:token (e.g. stats-office:9f8e…)", path, line)
		}
		if err := t.Add(name, token); err != nil {
			return fmt.Errorf("%s, line %d: %w", path, line, err)
		}
	}
	return sc.Err()
}

// gate lets in the calls that carry a token, and names them by it.
type gate struct {
	tokens *Tokens
	lang   string
	log    *slog.Logger
}

type nameKey struct{}

// tokenName is the name of the token a call came with.
func tokenName(ctx context.Context) string {
	n, _ := ctx.Value(nameKey{}).(string)
	return n
}

// authenticate finds the token of a call: "authorization: Bearer TOKEN",
// or "Basic base64(user:TOKEN)" for clients that only send a user and a
// password (the user is not checked).
func (s *gate) authenticate(ctx context.Context) (name, token string, err error) {
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get("authorization") {
		scheme, cred, _ := strings.Cut(strings.TrimSpace(v), " ")
		cred = strings.TrimSpace(cred)
		switch {
		case strings.EqualFold(scheme, "Bearer"):
			token = cred
		case strings.EqualFold(scheme, "Basic"):
			raw, derr := base64.StdEncoding.DecodeString(cred)
			if derr != nil {
				raw, derr = base64.RawStdEncoding.DecodeString(cred)
			}
			if derr == nil {
				_, token, _ = strings.Cut(string(raw), ":")
			}
		}
		if name, ok := s.tokens.Name(token); ok {
			return name, token, nil
		}
	}
	s.log.Warn("refused a call without a valid token", "peer", peerAddr(ctx))
	return "", "", status.Error(codes.Unauthenticated, msg.Render(msg.Errorf(
		"cần một mã truy cập hợp lệ: gửi tiêu đề authorization: Bearer MÃ (hoặc đăng nhập với mật khẩu là mã)",
		"a valid token is needed: send the header authorization: Bearer TOKEN (or log in with the token as password)"), s.lang))
}

func (s *gate) unaryAuth(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	name, _, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	return handler(context.WithValue(ctx, nameKey{}, name), req)
}

func (s *gate) streamAuth(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	name, token, err := s.authenticate(ss.Context())
	if err != nil {
		return err
	}
	if strings.HasSuffix(info.FullMethod, "/Handshake") {
		// A client that logged in with a user and password keeps the
		// bearer token it is given back.
		if err := ss.SendHeader(metadata.Pairs("authorization", "Bearer "+token)); err != nil {
			return err
		}
	}
	return handler(srv, &namedStream{ServerStream: ss, ctx: context.WithValue(ss.Context(), nameKey{}, name)})
}

type namedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (n *namedStream) Context() context.Context { return n.ctx }

func peerAddr(ctx context.Context) string {
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		return p.Addr.String()
	}
	return ""
}
