package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"
	"github.com/gin-gonic/gin"

	"github.com/dsopilot/dsopilot/datasets"
)

// The OpenAPI document is generated from the route table and the Go types
// of the bodies (kin-openapi's openapi3gen), so it cannot drift from the
// code: a field added to a response type is in the document.

var (
	dateType   = reflect.TypeFor[datasets.Date]()
	amountType = reflect.TypeFor[Amount]()
	nullDate   = reflect.TypeFor[NullDate]()
	// AmountText is a json.RawMessage, which the generator takes for
	// base64 bytes.
	amountTextType = reflect.TypeFor[AmountText]()
)

// schemaCustomizer gives the types with their own JSON encoding their
// schema, and marks required fields: in responses every field without
// omitempty; in requests those tagged required:"true".
func schemaCustomizer(requests bool) openapi3gen.SchemaCustomizerFn {
	return func(name string, t reflect.Type, tag reflect.StructTag, schema *openapi3.Schema) error {
		switch t {
		case dateType:
			schema.Type, schema.Format = &openapi3.Types{"string"}, ""
			schema.Pattern = `^(\d{4}-\d{2}-\d{2})?$`
			schema.Description = "a date, YYYY-MM-DD; empty when unset"
			schema.Min, schema.Max = nil, nil
			return nil
		case nullDate:
			schema.Type, schema.Format = &openapi3.Types{"string"}, "date"
			schema.Nullable = true
			schema.Description = "a date, YYYY-MM-DD; null when unset"
			schema.Min, schema.Max = nil, nil
			return nil
		case amountTextType:
			schema.Type, schema.Format, schema.Items = nil, "", nil
			schema.OneOf = openapi3.SchemaRefs{
				{Value: &openapi3.Schema{Type: &openapi3.Types{"number"}}},
				{Value: &openapi3.Schema{Type: &openapi3.Types{"string"}}},
			}
			schema.Description = `an amount, exact to the cent: a JSON number or a quoted decimal (1234.5, "1234.50", "1,234.50")`
			schema.Min, schema.Max = nil, nil
			return nil
		case amountType:
			schema.Type, schema.Format = &openapi3.Types{"number"}, ""
			schema.Description = "an amount with two decimals, exact to the cent (a quoted decimal is read too)"
			schema.Min, schema.Max = nil, nil
			return nil
		}
		if t.Kind() == reflect.Map && t.Elem().Kind() == reflect.Interface {
			// Values of any type, null included (a customer's missing
			// feature): an empty schema is not nullable in OpenAPI 3.0.
			schema.AdditionalProperties = openapi3.AdditionalProperties{Schema: &openapi3.SchemaRef{Value: &openapi3.Schema{Nullable: true}}}
			return nil
		}
		if t.Kind() != reflect.Struct || schema.Properties == nil {
			return nil
		}
		for i := range t.NumField() {
			f := t.Field(i)
			jt := f.Tag.Get("json")
			fname, opts, _ := strings.Cut(jt, ",")
			if fname == "" || fname == "-" {
				continue
			}
			// A pointer to a struct is a $ref to its component, which
			// cannot be nullable itself: wrap the reference.
			if ft := f.Type; ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct && ft.Elem() != dateType {
				if p := schema.Properties[fname]; p != nil && p.Ref != "" {
					schema.Properties[fname] = &openapi3.SchemaRef{Value: &openapi3.Schema{Nullable: true, AllOf: openapi3.SchemaRefs{p}}}
				}
			}
			req := f.Tag.Get("required") == "true"
			if !requests {
				req = !strings.Contains(opts, "omitempty")
			}
			if req && !slices.Contains(schema.Required, fname) {
				schema.Required = append(schema.Required, fname)
			}
			if d := f.Tag.Get("doc"); d != "" {
				if p := schema.Properties[fname]; p != nil && p.Value != nil {
					p.Value.Description = d
				}
			}
		}
		if !requests {
			return nil
		}
		schema.AdditionalProperties = openapi3.AdditionalProperties{Has: new(false)}
		return nil
	}
}

// buildOpenAPI makes the document of rs.
func buildOpenAPI(rs []route, build string) (*openapi3.T, error) {
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{Title: "dsopilot API", Version: "1.0.0 (build " + build + ")",
			Description: "Scoring, recommendations, credit workflow, forecast, KPIs and ingest for receivables. " +
				"Send Authorization: Bearer <key> (dsopilot keys create); a revoked key (dsopilot keys revoke) is a 401 of type " + problemTypeBase + "key-revoked. " +
				"An answer that needs an exchange rate the server was not given (serve --fx lacks a currency of the ledger) is a 503 of type " + problemTypeBase + "missing-rate naming the currency; " +
				"a currency the request names without rates on the server is a 422. " +
				"Errors are RFC 9457 problem documents; their errors place each bad field by an RFC 6901 pointer from the body's root, a query parameter, a header, or an ingest body's line and column. " +
				"Creating and changing POSTs honour Idempotency-Key. Amounts are numbers with two decimals, exact to the cent; dates YYYY-MM-DD."},
		Paths:      openapi3.NewPaths(),
		Components: &openapi3.Components{Schemas: openapi3.Schemas{}, SecuritySchemes: openapi3.SecuritySchemes{}},
	}
	doc.Components.SecuritySchemes["bearer"] = &openapi3.SecuritySchemeRef{Value: openapi3.NewJWTSecurityScheme().WithBearerFormat("dso_<id>_<secret>")}
	doc.Components.SecuritySchemes["basic"] = &openapi3.SecuritySchemeRef{Value: &openapi3.SecurityScheme{Type: "http", Scheme: "basic"}}
	opts := func(requests bool) []openapi3gen.Option {
		return []openapi3gen.Option{openapi3gen.SchemaCustomizer(schemaCustomizer(requests)),
			openapi3gen.CreateComponentSchemas(openapi3gen.ExportComponentSchemasOptions{ExportComponentSchemas: true, ExportTopLevelSchema: true})}
	}
	reqGen := openapi3gen.NewGenerator(opts(true)...)
	respGen := openapi3gen.NewGenerator(opts(false)...)
	schemaOf := func(g *openapi3gen.Generator, v any) (*openapi3.SchemaRef, error) {
		ref, err := g.NewSchemaRefForValue(v, doc.Components.Schemas)
		if err != nil {
			return nil, fmt.Errorf("schema of %T: %w", v, err)
		}
		return ref, nil
	}
	problemRef, err := schemaOf(respGen, Problem{})
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		op := openapi3.NewOperation()
		op.OperationID, op.Summary, op.Description, op.Tags = r.doc.id, r.doc.summary, r.doc.description, []string{r.doc.tag}
		for _, p := range r.doc.params {
			sch := &openapi3.Schema{Type: &openapi3.Types{p.typ}, Format: p.format}
			for _, e := range p.enum {
				sch.Enum = append(sch.Enum, e)
			}
			op.AddParameter(&openapi3.Parameter{Name: p.name, In: p.in, Required: p.required || p.in == "path",
				Description: p.description, Schema: &openapi3.SchemaRef{Value: sch}})
		}
		if r.role != 0 {
			op.Security = &openapi3.SecurityRequirements{{"bearer": []string{}}}
			if r.path == "/reports/*path" {
				*op.Security = append(*op.Security, openapi3.SecurityRequirement{"basic": []string{}})
			}
			op.Description = strings.TrimSpace(op.Description + " Role: " + r.role.String() + " or above.")
		}
		if r.idempotent {
			op.AddParameter(&openapi3.Parameter{Name: "Idempotency-Key", In: "header",
				Description: "makes retries safe: the same key and request get the first answer again (24 h)",
				Schema:      &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{"string"}, MaxLength: new(uint64(maxIdempotencyKey))}}})
		}
		if len(r.media) > 0 {
			body := openapi3.NewRequestBody().WithRequired(true)
			content := openapi3.Content{}
			for _, m := range r.media {
				if m == mediaJSON && r.doc.request != nil {
					ref, err := schemaOf(reqGen, r.doc.request)
					if err != nil {
						return nil, err
					}
					content[m] = openapi3.NewMediaType().WithSchemaRef(ref)
				} else {
					content[m] = openapi3.NewMediaType().WithSchema(openapi3.NewStringSchema())
				}
			}
			body.Content = content
			op.RequestBody = &openapi3.RequestBodyRef{Value: body}
		}
		op.Responses = openapi3.NewResponses()
		op.Responses.Delete("default")
		for _, resp := range r.doc.responses {
			rr := openapi3.NewResponse().WithDescription(resp.description)
			media := resp.media
			if media == "" {
				media = mediaJSON
			}
			switch {
			case resp.body != nil:
				ref, err := schemaOf(respGen, resp.body)
				if err != nil {
					return nil, err
				}
				rr.Content = openapi3.NewContentWithSchemaRef(ref, []string{media})
			case media == mediaJSON:
				rr.Content = openapi3.NewContentWithSchema(openapi3.NewObjectSchema(), []string{media})
			default:
				rr.Content = openapi3.NewContentWithSchema(openapi3.NewStringSchema(), []string{media})
			}
			op.AddResponse(resp.status, rr)
		}
		for _, st := range problemStatuses(r) {
			rr := openapi3.NewResponse().WithDescription(http.StatusText(st))
			rr.Content = openapi3.NewContentWithSchemaRef(problemRef, []string{"application/problem+json"})
			if st == http.StatusTooManyRequests {
				rr.Headers = openapi3.Headers{"Retry-After": &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
					Description: "seconds until the key may send again", Schema: &openapi3.SchemaRef{Value: openapi3.NewIntegerSchema()}}}}}
			}
			if st == http.StatusServiceUnavailable {
				rr.Headers = openapi3.Headers{"Retry-After": &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
					Description: "seconds until the server has tried the store again, when the answer waits for it (the ledger not read yet); 300 for a missing-rate, whose mend is the operator's; absent otherwise",
					Schema:      &openapi3.SchemaRef{Value: openapi3.NewIntegerSchema()}}}}}
			}
			op.AddResponse(st, rr)
		}
		doc.AddOperation(openAPIPath(r.path), r.method, op)
	}
	return doc, nil
}

// problemStatuses lists the problem statuses route r can answer.
func problemStatuses(r route) []int {
	st := []int{http.StatusInternalServerError}
	if r.role != 0 {
		st = append(st, http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests)
	}
	if len(r.media) > 0 {
		st = append(st, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity)
	}
	if r.idempotent {
		st = append(st, http.StatusConflict, http.StatusUnprocessableEntity)
	}
	if r.ledger {
		st = append(st, http.StatusServiceUnavailable)
	}
	st = append(st, r.doc.errors...)
	slices.Sort(st)
	return slices.Compact(st)
}

// openapi serves the document, built once.
func (s *Server) openapi(c *gin.Context) {
	doc, err := s.openAPIDoc()
	if err != nil {
		fail(c, err)
		return
	}
	c.Data(http.StatusOK, "application/json", doc)
}

// openAPIDoc returns the document's JSON.
func (s *Server) openAPIDoc() ([]byte, error) {
	s.docOnce.Do(func() {
		doc, err := buildOpenAPI(s.routes, s.cfg.Build)
		if err != nil {
			s.docErr = err
			return
		}
		s.docJSON, s.docErr = json.Marshal(doc)
	})
	return s.docJSON, s.docErr
}
