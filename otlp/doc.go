// Package otlp sends the recorder's redacted events to an OpenTelemetry
// Collector over OTLP/HTTP, so that a fleet's devtools data reaches the
// tracing and logging backends it already runs.
//
// Request events become server spans and provider events client spans,
// with the trace and span IDs the recorder keeps (a provider call is a
// child of the request that made it); audit, log, error and custom events
// become log records carrying the trace context of their request.
// Attributes follow OpenTelemetry's semantic conventions (http.request.method,
// url.path, url.full, http.route, http.response.status_code,
// server.address, service.name, service.instance.id, ...); audit fields keep
// their names under the beignet.audit. prefix.
//
// An Exporter implements recorder.Exporter: pass it in
// recorder.Config.Exporters. The recorder hands it events after redaction,
// decoded from the bytes it stored, so nothing unredacted leaves the process
// by this path; it calls Export on a goroutine of its own behind a bounded
// queue, so a collector that is down or slow costs dropped exports (counted
// in the recorder's Stats), never request latency.
//
// The endpoint and headers come from the standard variables, read by the
// official OTLP/HTTP exporters as in any OpenTelemetry app:
// OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
// OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS (and the
// _TRACES_/_LOGS_ variants), OTEL_EXPORTER_OTLP_TIMEOUT; OTEL_SERVICE_NAME
// and OTEL_RESOURCE_ATTRIBUTES set the resource.
//
// The package is separate so that an app that does not import it links no
// OpenTelemetry code; it imports only package event of this module.
package otlp
