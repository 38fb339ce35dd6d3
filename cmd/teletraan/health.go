package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

// healthTimeout bounds one probe of /healthz and of `teletraan healthcheck`.
const healthTimeout = 3 * time.Second

// workerHealth answers the worker's GET /healthz like the server's: 200 with
// {"status":"ok","database":"ok","temporal":"ok"} when both answer, 503 saying which does not.
func workerHealth(st *schema.Store, c client.Client) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
		defer cancel()
		resp := map[string]string{"status": "ok", "database": "ok", "temporal": "ok"}
		if err := st.Ping(ctx); err != nil {
			resp["status"], resp["database"] = "unavailable", "unreachable: "+err.Error()
		}
		if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
			resp["status"], resp["temporal"] = "unavailable", "unreachable: "+err.Error()
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if resp["status"] != "ok" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(resp)
	})
}

// newHealthcheckCommand is a container healthcheck that needs no shell or curl (the images
// have neither): it GETs a /healthz and exits 0 only on 200.
func newHealthcheckCommand() *cobra.Command {
	var url string
	var insecure bool
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "GET a server's or worker's /healthz and exit 0 when it answers 200 (for container healthchecks)",
		Example: `  teletraan healthcheck                                   # the server in this container
  teletraan healthcheck --url http://127.0.0.1:9464/healthz  # a worker run with --metrics-listen :9464`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), healthTimeout)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return fmt.Errorf("--url %q: %w", url, err)
			}
			hc := &http.Client{}
			if insecure {
				// The check only asks the process in its own container whether it is up.
				hc.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec

			}
			resp, err := hc.Do(req)
			if err != nil {
				return fmt.Errorf("unhealthy: %w", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("unhealthy: %s answered %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
			}
			fmt.Fprintln(cmd.OutOrStdout(), strings.TrimSpace(string(body)))
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", "http://127.0.0.1:8080/healthz", "the /healthz to ask")
	cmd.Flags().BoolVar(&insecure, "insecure", false, "accept any certificate (a server run with a --tls-cert for another name than 127.0.0.1)")
	return cmd
}
