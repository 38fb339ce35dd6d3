package api

import (
	"strings"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// pingSchemaPrefix keeps the agent protocol's component names apart from the API's own:
// both have a Build, with different shapes (epoch-millisecond dates for agents).
const pingSchemaPrefix = "Agent"

// pingSchemas documents the agent protocol's request and response, derived from the
// protocol types like the other components are from the models.
func pingSchemas() map[string]*jsonSchema {
	m := newModelSchemas(map[string]string{
		"PingRequest.hostId":         "the host's id (instance id or host name); 1-255 letters, digits, '.', ':', '-' or '_'",
		"PingRequest.reports":        "the agent's status per stage, at most 100",
		"PingReport.envId":           "the stage id (Teletraan's env id)",
		"PingReport.errorMessage":    "tail of the failing script's output; the server keeps the last 16 KiB",
		"PingReport.agentState":      `"RESET_BY_SYSTEM" asks for a redeploy from PRE_DOWNLOAD; other values are ignored`,
		"DeployGoal.build":           "sent with DOWNLOADING only",
		"DeployGoal.scriptVariables": "sent with PRE_DOWNLOAD only",
		"DeployGoal.agentConfigs":    "agent settings for this stage, stage prefixes resolved",
	})
	m.ref(protocol.PingRequest{})
	m.ref(protocol.PingResponse{})
	out := make(map[string]*jsonSchema, len(m.components))
	for name, s := range m.components {
		prefixRefs(s)
		out[pingSchemaPrefix+name] = s
	}
	return out
}

// prefixRefs renames the component references inside s.
func prefixRefs(s *jsonSchema) {
	if s == nil {
		return
	}
	if name, ok := strings.CutPrefix(s.Ref, "#/components/schemas/"); ok {
		s.Ref = "#/components/schemas/" + pingSchemaPrefix + name
	}
	for _, p := range s.Properties {
		prefixRefs(p)
	}
	prefixRefs(s.Items)
	if ap, ok := s.AdditionalProperties.(*jsonSchema); ok {
		prefixRefs(ap)
	}
	for _, a := range s.AllOf {
		prefixRefs(a)
	}
}

// pingOperation documents POST /v1/system/ping.
func pingOperation() *operation {
	return &operation{
		OperationID: "ping", Summary: "Report an agent's status and get its next goal", Tags: []string{"agents"},
		Description: "Teletraan's agent protocol. Any valid token may ping. Unlike other requests, unknown fields are ignored " +
			"(newer agents send more) and the body may be up to 4 MiB. The answer holds one goal at most: opCode NOOP means " +
			"nothing to do. With wait=N a NOOP answer is held up to N seconds until a goal may exist for the host.",
		Parameters: []parameter{queryParam(protocol.WaitParam, "seconds the server may hold a NOOP answer (long poll)",
			&jsonSchema{Type: "integer", Minimum: intPtr(1), Maximum: intPtr(protocol.MaxWaitSeconds)})},
		RequestBody: jsonBody(ref(pingSchemaPrefix + "PingRequest")),
		Responses: map[string]*response{
			"200": jsonResponse("the next goal", ref(pingSchemaPrefix+"PingResponse")),
			"429": errorResponseDoc("the token enrolled new host ids faster than the server allows (code rate_limited); Retry-After says when to try again; hosts already enrolled are not limited"),
		},
	}
}
