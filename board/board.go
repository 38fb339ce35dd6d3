// Package board is the web UI served beside the API: a home page listing the stages and a
// page per stage with its current deploy, host grid, history, deployable builds and
// actions, the audit trail and the sign-in page. Pages are server-rendered; a small script
// polls the JSON API to keep the grid and progress bar live and sends the actions with the
// signed-in person's session and its CSRF token. Who may see a page is the API's
// decision: its router asks every page outside the open ones for a caller.
package board

import (
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/teletraan-on-temporal/teletraan/core"
)

//go:embed templates/*.html
var templateFiles embed.FS

// staticFiles are served as they are: plain JavaScript and CSS, no build step.
//
//go:embed static
var staticFiles embed.FS

// Board renders the UI pages from the store.
type Board struct {
	Store Store
	// TemporalUIURL links each deploy to its workflow; empty hides the links.
	TemporalUIURL string
	// Namespace is the Temporal namespace of the deploy workflows.
	Namespace string
	Logger    *slog.Logger
	// SignIn says which ways of signing in the sign-in page offers.
	SignIn SignIn
	// MayRead refuses the request's caller a page about an object of environment env (a
	// deploy, whose path does not name its environment); nil lets every page through.
	// The server sets it to api.MayReadEnv.
	MayRead func(c *gin.Context, env string) error
	pages   *template.Template
}

// Register adds the board's routes to engine.
func (b *Board) Register(engine *gin.Engine) {
	funcs := template.FuncMap{"temporalui": func() string { return b.TemporalUIURL }}
	b.pages = template.Must(template.New("").Funcs(templateFuncs).Funcs(funcs).ParseFS(templateFiles, "templates/*.html"))
	if b.Logger == nil {
		b.Logger = slog.New(slog.DiscardHandler)
	}
	if b.Namespace == "" {
		b.Namespace = "default"
	}
	engine.GET("/", b.home)
	engine.GET("/envs/:env/:stage", b.stage)
	engine.GET("/envs/:env/:stage/config", b.config)
	engine.GET("/envs/:env/:stage/config/history", b.configHistory)
	engine.GET("/envs/:env/:stage/deploys", b.deployHistory)
	engine.GET("/envs/:env/:stage/hosts", b.hosts)
	engine.GET("/hosts/:host", b.host)
	engine.GET("/envs/:env/:stage/builds", b.builds)
	engine.GET("/envs/:env/:stage/builds/compare", b.compareBuilds)
	engine.GET("/deploys/:id", b.deployDetail)
	engine.GET("/audit", b.auditPage)
	engine.GET("/login", b.login)
	static, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic("board: embedded static files: " + err.Error())
	}
	engine.StaticFS("/static", http.FS(static))
	// Browsers ask for /favicon.ico whatever the pages link; answer with the board's icon
	// rather than a 404 in every log.
	engine.GET("/favicon.ico", func(c *gin.Context) { c.Redirect(http.StatusMovedPermanently, "/static/favicon.svg") })
}

// taggedBuild is what the "buildtag" badge draws: a build and the tag that speaks for it.
type taggedBuild struct {
	ID  string
	Tag *core.BuildTag
}

// templateFuncs are the helpers every page template may call.
var templateFuncs = template.FuncMap{
	"stagenav":   newStageNav,
	"stagepath":  stagePath,
	"deploypath": deployPagePath,
	"hostpath":   hostPagePath,
	"utc":        formatUTC,
	// branchwarning is core.BranchWarning: why a build's branch deserves a second look.
	"branchwarning": core.BranchWarning,
	// json is v as indented JSON, for a config field edited as JSON.
	"json": func(v any) string { b, _ := json.MarshalIndent(v, "", "  "); return string(b) },
	// tagged pairs a build id with the tag that speaks for it, for the "buildtag" badge.
	"tagged": func(id string, t *core.BuildTag) taggedBuild { return taggedBuild{ID: id, Tag: t} },
	// badreason is core.BadBuildReason: why a build is bad, given the tag that makes it so.
	"badreason": core.BadBuildReason,
	// hostaction is a host action's button label.
	"hostaction": func(action string) string { return strings.ToUpper(action[:1]) + action[1:] },
	// temporalui is the Temporal UI's address for the site header; Register binds it to
	// the Board's TemporalUIURL, and "" hides the link.
	"temporalui": func() string { return "" },
}
