package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
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
}

// ping sends req, retrying transient failures, and returns the server's goal. wait > 0
// asks the server to hold the request until a goal appears (our long-poll extension).
func (c *pingClient) ping(ctx context.Context, req protocol.PingRequest, wait time.Duration) (*protocol.PingResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode ping: %w", err)
	}
	var lastErr error
	for attempt := 1; attempt <= c.retries; attempt++ {
		resp, err := c.pingOnce(ctx, body, wait)
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
	return nil, fmt.Errorf("ping %s failed after %d attempts: %w", c.url, c.retries, lastErr)
}

func (c *pingClient) pingOnce(ctx context.Context, body []byte, wait time.Duration) (*protocol.PingResponse, error) {
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
	if c.token != "" {
		httpReq.Header.Set("Authorization", "Bearer "+c.token)
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
		return nil, fmt.Errorf("server refused the agent token (%s): check --token", resp.Status)
	case resp.StatusCode/100 != 2:
		return nil, fmt.Errorf("server answered %s: %s", resp.Status, snippet(data))
	}
	var out protocol.PingResponse
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("decode ping response %q: %w", snippet(data), err)
	}
	return &out, nil
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
