package http

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/validation"
)

// huma answers a body it cannot parse or validate before any operation
// runs, and its answer echoes what was sent: ErrorDetail.Value holds the
// field's value (a too-long password comes back whole), a missing field
// reports the whole object, and a JSON syntax error carries the raw body.
// Its words are for programmers ("expected length <= 1024"). publicErrors,
// installed as the API's transformer, is the one place every error model
// passes through on its way out: it drops every Value, rewords huma's own
// failures per field in plain words, gives them a stable problem type, and
// lets a location through only when it names a field of ours (a location
// made from an unknown key would echo the key).
func publicErrors(ctx huma.Context, _ string, v any) (any, error) {
	m, ok := v.(*huma.ErrorModel)
	if !ok {
		return v, nil
	}
	op := ""
	if o := ctx.Operation(); o != nil {
		op = o.OperationID
	}
	if m.Type != "" { // ours, from problem.go: already worded
		for _, d := range m.Errors {
			if d != nil {
				d.Value = nil
			}
		}
		return rewordForOperation(op, m), nil
	}
	return humaProblem(op, m), nil
}

// rewordForOperation adjusts one of our problems where the same failure
// needs other words on another page: during enrollment there are no
// recovery codes yet to suggest.
func rewordForOperation(op string, m *huma.ErrorModel) *huma.ErrorModel {
	if op == "mfa-enroll-verify" && m.Type == problemInvalidCode.typeURI() {
		c := *m
		c.Detail = "That code is not valid. Enter the code your app shows for AuthPortal now, before it changes."
		return &c
	}
	return m
}

// humaProblem turns an error huma built itself into a problem in plain
// words that carries nothing the client sent.
func humaProblem(op string, m *huma.ErrorModel) *huma.ErrorModel {
	switch m.Status {
	case http.StatusUnprocessableEntity:
		return fieldProblem(op, m.Errors)
	case http.StatusBadRequest:
		if len(m.Errors) > 0 && allBodyValidation(m.Errors) {
			return fieldProblem(op, m.Errors)
		}
		return problemMalformed.err("The request body is not JSON this operation understands.")
	case http.StatusRequestEntityTooLarge:
		return problemTooLarge.err("The request is too large.")
	case http.StatusUnsupportedMediaType:
		return problemUnsupportedType.err("Send the request body as application/json.")
	case http.StatusNotAcceptable:
		return problemNotAcceptable.err("This operation answers in application/json only.")
	}
	if m.Status >= 500 {
		return problemInternal.err("Something went wrong. The request id in the X-Request-Id header helps the admin find out what.")
	}
	return problemKind{m.Status, "http-" + fmt.Sprint(m.Status), http.StatusText(m.Status)}.err(http.StatusText(m.Status) + ".")
}

// allBodyValidation reports whether huma's 400 is about fields (a required
// one missing) rather than a body that is not JSON at all.
func allBodyValidation(errs []*huma.ErrorDetail) bool {
	for _, d := range errs {
		if d == nil || !strings.HasPrefix(d.Message, requiredPrefix) {
			return false
		}
	}
	return true
}

// fieldWording says, for one input field, what a person should do.
type fieldWording struct {
	tooLong string // over maxLength
	other   string // missing, too short, wrong type
}

// fieldWords are the fields of our operations' bodies. The limits named here
// are the domain's (a username is 1 to 64 characters), not the looser
// schema maxima that only bound what the server reads.
var fieldWords = map[string]fieldWording{
	"username": {tooLong: "Usernames are at most 64 characters.", other: "Enter your username."},
	"password": {tooLong: passwordTooLong, other: "Enter your password."},
	"next":     {tooLong: "The page to return to is too long. Start again from the page you wanted.", other: "The page to return to is not valid."},
	"code":     {tooLong: codeWords, other: codeWords},
}

const (
	codeWords          = "Enter the 6-digit code from your authenticator app."
	codeOrRecoverWords = "Enter the 6-digit code from your authenticator app, or one of your recovery codes."
)

// huma's messages are formats; what comes before and after the verb tells
// which rule a detail broke without depending on the numbers in it.
var (
	requiredPrefix, requiredSuffix = around(validation.MsgExpectedRequiredProperty, "%s")
	tooLongPrefix, _               = around(validation.MsgExpectedMaxLength, "%d")
)

func around(format, verb string) (before, after string) {
	before, after, _ = strings.Cut(format, verb)
	return before, after
}

// fieldProblem words huma's validation details per field, one message each,
// the first also as the problem's detail (what the pages show).
func fieldProblem(op string, errs []*huma.ErrorDetail) *huma.ErrorModel {
	out := problemInvalidInput.err("")
	seen := map[string]bool{}
	for _, d := range errs {
		if d == nil {
			continue
		}
		field, msg := wordDetail(op, d)
		if seen[field+msg] {
			continue
		}
		seen[field+msg] = true
		loc := "body"
		if field != "" {
			loc = "body." + field
		}
		out.Errors = append(out.Errors, &huma.ErrorDetail{Message: msg, Location: loc})
	}
	if len(out.Errors) == 0 {
		out.Errors = nil
		out.Detail = "The request is not valid."
		return out
	}
	out.Detail = out.Errors[0].Message
	return out
}

// wordDetail names the field a huma detail is about (when it is one of ours)
// and the words for it.
func wordDetail(op string, d *huma.ErrorDetail) (field, msg string) {
	kind := "other"
	switch {
	case strings.HasPrefix(d.Message, requiredPrefix) && strings.HasSuffix(d.Message, requiredSuffix):
		field = strings.TrimSuffix(strings.TrimPrefix(d.Message, requiredPrefix), requiredSuffix)
	case strings.HasPrefix(d.Location, "body."):
		field = strings.TrimPrefix(d.Location, "body.")
		if strings.HasPrefix(d.Message, tooLongPrefix) {
			kind = "tooLong"
		}
	}
	w, ok := fieldWords[field]
	if !ok {
		return "", "The request has a field this operation does not take, or lacks one it needs."
	}
	if field == "code" && op == "mfa-challenge-verify" {
		return field, codeOrRecoverWords
	}
	if kind == "tooLong" {
		return field, w.tooLong
	}
	return field, w.other
}
