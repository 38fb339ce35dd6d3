package schema_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

func TestSessionsOpenExpireEndAndArePruned(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
		st.SetClock(func() time.Time { return now })
		secret, sess, err := st.CreateSession(ctx, schema.SessionSpec{Subject: "u1", Email: "olga@example.com", Groups: []string{"ops", "web"},
			Via: schema.SessionViaOIDC, TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if sess.ID == secret || strings.Contains(sess.ID, secret) || sess.CSRF == "" {
			t.Fatalf("the stored session holds its secret or lacks a CSRF token: %+v", sess)
		}
		got, err := st.SessionBySecret(ctx, secret)
		if err != nil || got.Email != "olga@example.com" || !slices.Equal(got.Groups(), []string{"ops", "web"}) || got.CSRF != sess.CSRF {
			t.Fatalf("SessionBySecret: %+v, %v", got, err)
		}
		if _, err := st.SessionBySecret(ctx, "tt_not-one"); core.ErrorCode(err) != core.EUNAUTHORIZED {
			t.Fatalf("an unknown secret: %v", err)
		}
		now = now.Add(time.Hour)
		if _, err := st.SessionBySecret(ctx, secret); core.ErrorCode(err) != core.EUNAUTHORIZED || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("an expired session: %v", err)
		}
		other, _, err := st.CreateSession(ctx, schema.SessionSpec{Email: "rita@example.com", Via: schema.SessionViaOIDC, TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Minute)
		if n, err := st.PruneSessions(ctx); err != nil || n != 1 {
			t.Fatalf("PruneSessions = %d, %v; want the expired one", n, err)
		}
		if err := st.DeleteSession(ctx, other); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SessionBySecret(ctx, other); core.ErrorCode(err) != core.EUNAUTHORIZED {
			t.Fatalf("a signed-out session: %v", err)
		}
		if err := st.DeleteSession(ctx, other); err != nil {
			t.Fatalf("signing out twice: %v", err)
		}
		if _, _, err := st.CreateSession(ctx, schema.SessionSpec{Via: schema.SessionViaOIDC, TTL: time.Hour}); core.ErrorCode(err) != core.EINVALID {
			t.Fatalf("a session for nobody: %v", err)
		}
		// Every session of one person ends at once.
		mine, _, _ := st.CreateSession(ctx, schema.SessionSpec{Email: "Olga@example.com", Via: schema.SessionViaOIDC, TTL: time.Hour})
		theirs, _, _ := st.CreateSession(ctx, schema.SessionSpec{Email: "rita@example.com", Via: schema.SessionViaOIDC, TTL: time.Hour})
		if n, err := st.EndSessionsOf(ctx, "olga@example.com"); err != nil || n != 1 {
			t.Fatalf("EndSessionsOf = %d, %v", n, err)
		}
		if _, err := st.SessionBySecret(ctx, mine); core.ErrorCode(err) != core.EUNAUTHORIZED {
			t.Fatalf("an ended session: %v", err)
		}
		if _, err := st.SessionBySecret(ctx, theirs); err != nil {
			t.Fatalf("another person's session ended too: %v", err)
		}
		// A session opened with a token ends when the token is revoked.
		_, tok, err := st.CreateToken(ctx, schema.TokenSpec{Name: "ci", Role: schema.RoleReader})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := st.TokenByID(ctx, tok.ID); err != nil || got.Name != "ci" {
			t.Fatalf("TokenByID: %+v, %v", got, err)
		}
		if err := st.RevokeToken(ctx, "ci"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.TokenByID(ctx, tok.ID); core.ErrorCode(err) != core.EUNAUTHORIZED {
			t.Fatalf("a revoked token's session: %v", err)
		}
	})
}
