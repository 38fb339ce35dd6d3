package core

import (
	"errors"
	"fmt"
)

// Error codes of the domain: the store, the workflows and the API all speak them.
const (
	// ECONFLICT means the request clashes with existing state (duplicate name, busy stage).
	ECONFLICT = "conflict"
	// EINVALID means the input is malformed or fails validation.
	EINVALID = "invalid"
	// ENOTFOUND means the named resource does not exist.
	ENOTFOUND = "not_found"
	// EUNAUTHORIZED means the caller presented no valid credentials.
	EUNAUTHORIZED = "unauthorized"
	// EFORBIDDEN means the caller's credentials do not allow the action.
	EFORBIDDEN = "forbidden"
	// EUNAVAILABLE means a dependency (database, Temporal) cannot be reached right now.
	EUNAVAILABLE = "unavailable"
	// EINTERNAL means an unexpected failure; details are logged, not shown.
	EINTERNAL = "internal"
)

// Error is a domain error: a stable code, a message safe to show to the user, and for
// validation errors the JSON field at fault.
type Error struct {
	Code    string
	Message string
	Field   string
}

// Error implements the error interface.
func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an EINVALID *Error that names the offending field.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: field + ": " + fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any other
// non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err; internal errors get a generic text so
// that nothing about the server's internals leaks.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error; the server log has the details"
}

// ErrorField returns the field named by a validation error, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
