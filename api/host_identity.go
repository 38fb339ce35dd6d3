package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"
)

// identityStore is what resetting a host's identity asks of the store.
type identityStore interface {
	ResetHostIdentity(ctx context.Context, name string) (int, error)
}

// hostIdentityReset is the answer of POST /v1/hosts/{host}/actions/reset-identity.
type hostIdentityReset struct {
	Host  string `json:"host"`
	Reset int    `json:"reset"` // host ids under that name (or with that id) now unbound
}

// resetHostIdentity unbinds a host (by name or id) from the credential and the token that
// claimed it, so that a re-imaged machine can enroll again; its next ping claims it.
func (s *server) resetHostIdentity(c *gin.Context) {
	n, err := s.identities.ResetHostIdentity(c.Request.Context(), c.Param("host"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, hostIdentityReset{Host: c.Param("host"), Reset: n})
}
