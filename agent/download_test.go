package agent_test

import (
	"bytes"
	"crypto/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent"
	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// artifactServer serves one artifact with a scripted misbehaviour per request.
type artifactServer struct {
	*httptest.Server
	body     []byte
	mu       sync.Mutex
	requests []http.Header
	// serve answers request i (0-based); nil means http.ServeContent (Range, ETag).
	serve func(i int, w http.ResponseWriter, r *http.Request) bool
}

func newArtifactServer(t *testing.T, body []byte, serve func(i int, w http.ResponseWriter, r *http.Request) bool) *artifactServer {
	s := &artifactServer{body: body, serve: serve}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		i := len(s.requests)
		s.requests = append(s.requests, r.Header.Clone())
		s.mu.Unlock()
		if s.serve != nil && s.serve(i, w, r) {
			return
		}
		w.Header().Set("ETag", `"v1"`)
		http.ServeContent(w, r, "b.tar.gz", time.Time{}, bytes.NewReader(s.body))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *artifactServer) headers() []http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]http.Header(nil), s.requests...)
}

// stallAfter sends the first n bytes under the full Content-Length and then sends
// nothing until the client gives up.
func stallAfter(body []byte, n int) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body[:n])
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}
}

// downloadOnce runs a DOWNLOADING goal for the artifact at url and returns the report.
func downloadOnce(t *testing.T, cfg agent.Config, archive []byte, url string) protocol.PingReport {
	t.Helper()
	srv := newFakeServer(t, noop)
	cfg.ServerURL = srv.URL
	srv.decide = goalsInOrder(downloadGoal("d1", protocol.Build{ID: "b1", ArtifactURL: url, Checksum: sha256Hex(archive)}))
	runOnce(t, cfg)
	return lastReport(t, srv)
}

func randomArchive(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func TestDownloadResumesWithRangeAfterAStall(t *testing.T) {
	body := randomArchive(t, 256<<10)
	art := newArtifactServer(t, body, func(i int, w http.ResponseWriter, r *http.Request) bool {
		if i == 0 {
			stallAfter(body, 100<<10)(w, r)
			return true
		}
		return false
	})
	cfg := testConfig(t, "http://unused")
	cfg.DownloadStallTimeout = 200 * time.Millisecond
	r := downloadOnce(t, cfg, body, art.URL+"/b1.tar.gz")
	if r.AgentStatus != protocol.StatusSucceeded || r.FailCount != 0 {
		t.Fatalf("report = %+v", r)
	}
	h := art.headers()
	if len(h) != 2 || h[1].Get("Range") != "bytes=102400-" || h[1].Get("If-Range") != `"v1"` {
		t.Fatalf("requests = %v; want a second one with Range: bytes=102400- and If-Range", h)
	}
	got, err := os.ReadFile(filepath.Join(cfg.BuildsDir, testEnv+"-b1.tar.gz"))
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("resumed file differs from the artifact (err %v)", err)
	}
}

func TestDownloadStartsOverWhenTheServerIgnoresRange(t *testing.T) {
	body := randomArchive(t, 256<<10)
	art := newArtifactServer(t, body, func(i int, w http.ResponseWriter, r *http.Request) bool {
		if i == 0 {
			stallAfter(body, 100<<10)(w, r)
		} else {
			w.Write(body) // 200 with the whole body, whatever the Range said
		}
		return true
	})
	cfg := testConfig(t, "http://unused")
	cfg.DownloadStallTimeout = 200 * time.Millisecond
	if r := downloadOnce(t, cfg, body, art.URL+"/b1.tar.gz"); r.AgentStatus != protocol.StatusSucceeded {
		t.Fatalf("report = %+v", r)
	}
	if h := art.headers(); len(h) != 2 || h[1].Get("Range") == "" {
		t.Fatalf("requests = %v", h)
	}
}

func TestDownloadThatNeverAnswersFailsNamingTheStall(t *testing.T) {
	body := randomArchive(t, 1024)
	art := newArtifactServer(t, body, func(_ int, w http.ResponseWriter, r *http.Request) bool {
		<-r.Context().Done() // accepts, reads the request, never answers
		return true
	})
	cfg := testConfig(t, "http://unused")
	cfg.DownloadStallTimeout = 100 * time.Millisecond
	cfg.DownloadRetries, cfg.MaxRetries = 2, 1
	r := downloadOnce(t, cfg, body, art.URL+"/b1.tar.gz")
	if r.AgentStatus != protocol.StatusTooManyRetry || !strings.Contains(r.ErrorMessage, "stalled: no bytes for 100ms") {
		t.Fatalf("report = %+v", r)
	}
	if n := len(art.headers()); n != 2 {
		t.Fatalf("%d requests, want 2 (--download-retries)", n)
	}
}

func TestDownloadOverallTimeout(t *testing.T) {
	body := randomArchive(t, 1<<20)
	art := newArtifactServer(t, body, func(_ int, w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		for i := 0; i < len(body); i++ { // a trickle: never stalled, never done
			if _, err := w.Write(body[i : i+1]); err != nil {
				return true
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return true
			case <-time.After(10 * time.Millisecond):
			}
		}
		return true
	})
	cfg := testConfig(t, "http://unused")
	cfg.DownloadTimeout = 300 * time.Millisecond
	cfg.MaxRetries = 1
	r := downloadOnce(t, cfg, body, art.URL+"/b1.tar.gz")
	if r.AgentStatus != protocol.StatusTooManyRetry || !strings.Contains(r.ErrorMessage, "longer than its overall timeout") {
		t.Fatalf("report = %+v", r)
	}
}

func TestDownloadRefusedWithoutFreeDisk(t *testing.T) {
	body := randomArchive(t, 1024)
	art := newArtifactServer(t, body, func(_ int, w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Length", strconv.FormatInt(1<<50, 10)) // a petabyte
		w.WriteHeader(http.StatusOK)
		return true
	})
	cfg := testConfig(t, "http://unused")
	cfg.MaxArchiveBytes = 1 << 60
	r := downloadOnce(t, cfg, body, art.URL+"/b1.tar.gz")
	if r.AgentStatus != protocol.StatusAgentFailed || !strings.Contains(r.ErrorMessage, "not enough free disk") {
		t.Fatalf("report = %+v", r)
	}
	if n := len(art.headers()); n != 1 {
		t.Fatalf("%d requests; a full disk is not retried", n)
	}
}

func TestDownloadTLSHandshakeTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() { // accepts and never speaks TLS; closing the listener ends it all
		var conns []net.Conn
		for {
			c, err := ln.Accept()
			if err != nil {
				for _, c := range conns {
					c.Close()
				}
				return
			}
			conns = append(conns, c)
		}
	}()
	cfg := testConfig(t, "http://unused")
	cfg.TLSHandshakeTimeout = 100 * time.Millisecond
	cfg.DownloadRetries, cfg.MaxRetries = 1, 1
	r := downloadOnce(t, cfg, nil, "https://"+ln.Addr().String()+"/b1.tar.gz")
	if r.AgentStatus != protocol.StatusTooManyRetry || !strings.Contains(r.ErrorMessage, "TLS handshake timeout") {
		t.Fatalf("report = %+v", r)
	}
}

// TestGoalChangeCancelsAStalledDownload: the service moves the host to another deploy
// while its download hangs; the download is abandoned at the next progress ping.
func TestGoalChangeCancelsAStalledDownload(t *testing.T) {
	body := randomArchive(t, 64<<10)
	art := newArtifactServer(t, body, func(_ int, w http.ResponseWriter, r *http.Request) bool {
		stallAfter(body, 1000)(w, r)
		return true
	})
	srv := newFakeServer(t, nil)
	cfg := testConfig(t, srv.URL)
	cfg.MinRunningTime = 50 * time.Millisecond
	cfg.DownloadStallTimeout = time.Minute // only the goal change can end it
	var downloading int
	srv.decide = func(req protocol.PingRequest) protocol.PingResponse {
		r, _ := findReport(req, testEnvID)
		switch {
		case r.DeployID == "d2" && r.AgentStatus == protocol.StatusSucceeded:
			return protocol.PingResponse{OpCode: protocol.OpNoop}
		case r.DeployStage == protocol.StageDownloading && r.DeployID == "d1":
			downloading++ // progress pings while the download hangs
			if downloading > 1 {
				return deployGoal("d2", protocol.StagePreDownload)
			}
		case r.DeployID == "d2":
			return deployGoal("d2", protocol.StagePreDownload)
		}
		return downloadGoal("d1", protocol.Build{ID: "b1", ArtifactURL: art.URL + "/b1.tar.gz", Checksum: sha256Hex(body)})
	}
	runOnce(t, cfg)
	if r := lastReport(t, srv); r.DeployID != "d2" || r.AgentStatus != protocol.StatusSucceeded {
		t.Fatalf("last report %+v, want d2 done", r)
	}
	if m, _ := filepath.Glob(filepath.Join(cfg.BuildsDir, ".download-*")); len(m) > 0 {
		t.Fatalf("abandoned download left %v", m)
	}
}
