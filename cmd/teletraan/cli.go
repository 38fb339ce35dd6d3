package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/core"
)

// defaultServerURL is where the CLI finds the API when neither --url nor TELETRAAN_URL
// says otherwise: the address `teletraan dev` serves on.
const defaultServerURL = "http://127.0.0.1:8080"

// clientFlags are the flags every CLI verb shares.
type clientFlags struct {
	url     string
	token   string
	context string
	// anonymous resolves the server only: teletraan login needs no credential yet.
	anonymous bool
}

func (f *clientFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.url, "url", "", "API address (default $TELETRAAN_URL, else the context's, else "+defaultServerURL+")")
	cmd.Flags().StringVar(&f.token, "token", "", "API token (default $TELETRAAN_TOKEN, else the context's)")
	cmd.Flags().StringVar(&f.context, "context", "", "a context of the config file (default $TELETRAAN_CONTEXT, else the current one; see teletraan context)")
}

// apiClient is a minimal client of the REST API.
type apiClient struct {
	base  string
	token string
	http  *http.Client
}

// client builds the API client. The server and token come from, in order: --url and
// --token, $TELETRAAN_URL and $TELETRAAN_TOKEN, the context (--context, $TELETRAAN_CONTEXT,
// the config file's current one), and for the server the dev stack's address.
func (f *clientFlags) client() (*apiClient, error) {
	base, token := f.url, f.token
	if base == "" {
		base = os.Getenv("TELETRAAN_URL")
	}
	if token == "" {
		token = os.Getenv("TELETRAAN_TOKEN")
	}
	if base == "" || token == "" || f.context != "" {
		ctx, err := resolveContext(f.context)
		if err != nil {
			return nil, err
		}
		if ctx != nil {
			if base == "" || (f.context != "" && f.url == "") {
				base = ctx.URL
			}
			if token == "" || (f.context != "" && f.token == "") {
				token = ctx.Token
			}
			// The sign-in goes only to the server it was made for.
			if token == "" && !f.anonymous && ctx.Login != nil && strings.TrimRight(base, "/") == ctx.URL {
				if token, err = ctx.idToken(context.Background()); err != nil {
					return nil, err
				}
			}
		}
	}
	if base == "" {
		base = defaultServerURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server URL %q is not an http(s) URL: pass --url or set TELETRAAN_URL", base)
	}
	if f.anonymous {
		token = ""
	}
	return &apiClient{base: strings.TrimRight(base, "/"), token: token, http: &http.Client{Timeout: time.Minute}}, nil
}

// apiError is an error answer of the API; its message is the server's, written for people.
// Code is what callers branch on: the status is kept only for the message, because a status
// means less than the code (a 404 can be a missing deploy or a wrong --url alike).
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s (HTTP %d)", e.Message, e.Status)
}

// maxQuotedAnswer is the longest plain-text body of a foreign error answer that the CLI
// repeats as the message; longer ones are pages, not messages.
const maxQuotedAnswer = 200

// newAPIError reads an error answer. The API's JSON error gives the code and message; any
// other body comes from something in front of the API (a proxy, a load balancer) or from a
// --url that is not the API, so the code is the one its status stands for and the message says
// where to look instead of repeating a page of markup.
func newAPIError(status int, contentType string, raw []byte) *apiError {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &e) == nil && e.Error.Message != "" {
		code := e.Error.Code
		if code == "" {
			code = core.CodeFromHTTPStatus(status)
		}
		return &apiError{Status: status, Code: code, Message: e.Error.Message}
	}
	return &apiError{Status: status, Code: core.CodeFromHTTPStatus(status), Message: foreignMessage(contentType, raw)}
}

// foreignMessage is the message of an error answer that is not the API's JSON: a short line
// of plain text as it is, otherwise what kind of answer came and what to check.
func foreignMessage(contentType string, raw []byte) string {
	body := strings.TrimSpace(string(raw))
	mediaType, _, _ := mime.ParseMediaType(contentType)
	if body == "" {
		return "the server answered with an empty body: check --url or TELETRAAN_URL, and any proxy in front of the API"
	}
	if len(body) <= maxQuotedAnswer && !strings.ContainsAny(body, "\n<") && mediaType != "text/html" {
		return body
	}
	if mediaType == "" {
		mediaType = "no content type"
	}
	return fmt.Sprintf("the answer is not the Teletraan API's (%s, %d bytes): check --url or TELETRAAN_URL, and any proxy in front of the API", mediaType, len(raw))
}

// codeOf is the error code of the API's answer in err's chain, "" when err is not an answer
// of the API (it could not be reached, or the CLI failed before asking). Every decision the
// CLI takes on an API error goes through it, so none depends on a status number.
func codeOf(err error) string {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// do sends a request with a JSON body (nil: none) and decodes a 2xx answer into out.
func (c *apiClient) do(ctx context.Context, method, path string, body, out any) error {
	raw, err := c.send(ctx, method, path, body)
	if err != nil || out == nil {
		return err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decode answer of %s %s: %w", method, path, err)
	}
	return nil
}

// send sends a request with a JSON body (nil: none) and returns a 2xx answer's body as the
// API wrote it, for the verbs that print it as it is (-o json, -o yaml).
func (c *apiClient) send(ctx context.Context, method, path string, body any) ([]byte, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode request body: %w", err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return nil, fmt.Errorf("build request %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the Teletraan API at %s (is the server running? set --url or TELETRAAN_URL): %w", c.base, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("read answer of %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, newAPIError(resp.StatusCode, resp.Header.Get("Content-Type"), raw)
	}
	return raw, nil
}

// deployView is the API's answer about one deploy.
type deployView struct {
	Deploy      *api.Deploy `json:"deploy"`
	Build       *api.Build  `json:"build"`
	WorkflowURL string      `json:"workflowUrl"`
	// ClearedQueue is the queued deploy a newly started deploy dropped.
	ClearedQueue string `json:"clearedQueue,omitempty"`
	// Warnings are the server's second thoughts on a deploy it started anyway.
	Warnings []string `json:"warnings,omitempty"`
	// AlarmChecks and WebhookDeliveries come with one deploy's answer.
	AlarmChecks       []api.AlarmCheck      `json:"alarmChecks,omitempty"`
	WebhookDeliveries []api.WebhookDelivery `json:"webhookDeliveries,omitempty"`
}

// stagePath is the API path of env/stage plus more segments, each escaped.
func stagePath(env, stage string, more ...string) string {
	parts := append([]string{"v1", "envs", env, stage}, more...)
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return "/" + strings.Join(parts, "/")
}

// exitError carries a process exit status other than 1 up to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// ExitCode is the status the process exits with.
func (e *exitError) ExitCode() int { return e.code }

// exitCode is the status main exits with for err.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return 1
}
