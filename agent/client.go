package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// pingHeadroom is added to the long-poll wait for the request deadline: the server may
// legitimately hold the request for the whole wait, and must not be cut off for it.
const pingHeadroom = 30 * time.Second

// pingClient talks to the service's ping endpoint.
type pingClient struct {
	url        string
	token      string
	http       *http.Client
	retries    int
	retryDelay time.Duration
	// secretPath keeps the host's credential, issued by the service on enrollment; secret
	// is its content once saved ("" before), presented on every ping.
	secretPath string
	secret     string
	log        *slog.Logger
}

// HostSecretFileName is the file in the agent dir holding the host's credential (mode
// 0600): the proof that this machine is the host it says it is. Losing it needs an
// operator to reset the host's identity.
const HostSecretFileName = "host-secret"

// loadSecret reads the host's credential, if it has one yet.
func (c *pingClient) loadSecret() error {
	data, err := os.ReadFile(c.secretPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the host credential %s: %w", c.secretPath, err)
	}
	c.secret = strings.TrimSpace(string(data))
	return nil
}

// keepSecret saves a credential the service issued, durably, before presenting it: a
// credential presented and then lost in a crash would lock the host out.
func (c *pingClient) keepSecret(secret string) {
	if secret == "" || secret == c.secret {
		return
	}
	if err := writeFileAtomic(c.secretPath, []byte(secret+"\n"), 0o600); err != nil {
		// Not presented, so not bound: the service issues another on the next ping.
		if c.log != nil {
			c.log.Warn("could not save the host credential the service issued; it will issue another", "path", c.secretPath, "err", err)
		}
		return
	}
	c.secret = secret
}

// ping sends req, retrying transient failures, and returns the server's goal. wait > 0
// asks the server to hold the request until a goal appears (our long-poll extension).
func (c *pingClient) ping(ctx context.Context, req protocol.PingRequest, wait time.Duration) (*protocol.PingResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode ping: %w", err)
	}
	var lastErr error
	traceID := newTraceID()
	for attempt := 1; attempt <= c.retries; attempt++ {
		resp, err := c.pingOnce(ctx, body, wait, traceID)
		if err == nil {
			return resp, nil
		}
		lastErr = err
		if ctx.Err() != nil || attempt == c.retries {
			break
		}
		if err := sleep(ctx, c.retryDelay); err != nil {
			break
		}
	}
	// The trace id finds the server's side of the failed attempts in its traces and logs.
	return nil, fmt.Errorf("ping %s failed after %d attempts (trace %s): %w", c.url, c.retries, traceID, lastErr)
}

func (c *pingClient) pingOnce(ctx context.Context, body []byte, wait time.Duration, traceID string) (*protocol.PingResponse, error) {
	target := c.url
	if secs := int(wait / time.Second); secs > 0 {
		target += "?" + url.Values{protocol.WaitParam: {strconv.Itoa(secs)}}.Encode()
	}
	ctx, cancel := context.WithTimeout(ctx, wait+pingHeadroom)
	defer cancel()
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build ping request: %w", err)
	}
	httpReq.Header.Set("Content-Type", "application/json")
	httpReq.Header.Set(traceparentHeader, traceparent(traceID))
	if c.token != "" {
		httpReq.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.secretPath != "" {
		httpReq.Header.Set(protocol.HostBindingHeader, "1")
	}
	if c.secret != "" {
		httpReq.Header.Set(protocol.HostSecretHeader, c.secret)
	}
	resp, err := c.http.Do(httpReq)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("read ping response: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("server refused the agent (%s): %s", resp.Status, refusalMessage(data))
	case resp.StatusCode/100 != 2:
		return nil, fmt.Errorf("server answered %s: %s", resp.Status, snippet(data))
	}
	var out protocol.PingResponse
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("decode ping response %q: %w", snippet(data), err)
	}
	c.keepSecret(out.HostSecret)
	return &out, nil
}

// refusalMessage is the service's reason for a 401 or 403, from its JSON error.
func refusalMessage(data []byte) string {
	var e struct {
		Error struct{ Message string } `json:"error"`
	}
	if json.Unmarshal(data, &e) == nil && e.Error.Message != "" {
		return e.Error.Message
	}
	return "check --token: " + snippet(data)
}

// snippet keeps error messages readable when a proxy answers with a whole HTML page.
func snippet(b []byte) string {
	const max = 200
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

// sleep waits d or until ctx ends, whichever is first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
