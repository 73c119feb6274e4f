{{/*
Settings one service needs beyond the common ones, from its own values (services.<name>.dimse, .mllp, .fhir,
.webhooks, ...). Plain settings go to the ConfigMap; secrets only as secretKeyRef or mounted files.
Call each with (dict "root" $ "name" NAME).
*/}}

{{- define "triage-mesh.servicePlainEnv" -}}
{{- $svc := index .root.Values.services .name }}
{{- if eq .name "ingest" }}
{{- with $svc.dimse }}{{ if .enabled }}
DIMSE_PORT: {{ .port | quote }}
DIMSE_HOST: "0.0.0.0"
DIMSE_AE_TITLE: {{ .aeTitle | quote }}
{{- with .sources }}
DIMSE_SOURCES: {{ join "," . | quote }}
{{- end }}
{{- end }}{{ end }}
{{- with $svc.mllp }}{{ if .enabled }}
HL7_MLLP_PORT: {{ .port | quote }}
HL7_MLLP_HOST: "0.0.0.0"
{{- end }}{{ end }}
{{- end }}
{{- if eq .name "inference" }}
INFERENCE_PUBLIC_URL: {{ $svc.publicUrl | default (printf "http://%s:%v" (include "triage-mesh.serviceName" .) $svc.port) | quote }}
{{- end }}
{{- if eq .name "routing" }}
{{- with $svc.webhooks }}
{{- with .urls }}
ROUTING_WEBHOOK_URLS: {{ join "," . | quote }}
{{- end }}
{{- with .pagerUrl }}
ROUTING_PAGER_URL: {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- if eq .name "reporting" }}
{{- with $svc.fhir }}
{{- with .baseUrl }}
REPORTING_FHIR_BASE_URL: {{ . | quote }}
{{- end }}
{{- with .auth }}
REPORTING_FHIR_AUTH: {{ . | quote }}
{{- end }}
{{- with .smart }}
{{- with .tokenUrl }}
REPORTING_SMART_TOKEN_URL: {{ . | quote }}
{{- end }}
{{- with .clientId }}
REPORTING_SMART_CLIENT_ID: {{ . | quote }}
{{- end }}
{{- if .keySecret.name }}
REPORTING_SMART_KEY_FILE: {{ printf "/etc/triage/smart/%s" .keySecret.key | quote }}
{{- end }}
{{- with .alg }}
REPORTING_SMART_ALG: {{ . | quote }}
{{- end }}
{{- with .kid }}
REPORTING_SMART_KID: {{ . | quote }}
{{- end }}
{{- with .scope }}
REPORTING_SMART_SCOPE: {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- with $svc.subscriptions }}{{ with .allowedOrigins }}
REPORTING_SUBSCRIPTION_ALLOWED_ORIGINS: {{ join "," . | quote }}
{{- end }}{{ end }}
{{- with $svc.mllp }}{{ if .host }}
REPORTING_MLLP_HOST: {{ .host | quote }}
REPORTING_MLLP_PORT: {{ .port | quote }}
{{- end }}{{ end }}
{{- end }}
{{- end }}

{{- define "triage-mesh.serviceSecretEnv" -}}
{{- $svc := index .root.Values.services .name }}
{{- if eq .name "routing" }}
{{- with $svc.webhooks }}
{{- if or .urls .pagerUrl }}
{{- $_ := required "services.routing.webhooks.secret.name is required with webhook or pager URLs (ROUTING_WEBHOOK_SECRET signs every call)" .secret.name }}
{{ include "triage-mesh.secretEnv" (list "ROUTING_WEBHOOK_SECRET" .secret) }}
{{- end }}
{{- end }}
{{- end }}
{{- if and (eq .name "reporting") $svc.fhir $svc.fhir.tokenSecret.name }}
{{ include "triage-mesh.secretEnv" (list "REPORTING_FHIR_TOKEN" $svc.fhir.tokenSecret) }}
{{- end }}
{{- if and (eq .name "audit") $svc.pseudonymKeySecret $svc.pseudonymKeySecret.name }}
{{ include "triage-mesh.secretEnv" (list "AUDIT_PSEUDONYM_KEY" $svc.pseudonymKeySecret) }}
{{- end }}
{{- end }}

{{/* The SMART Backend Services private key, mounted read-only as REPORTING_SMART_KEY_FILE. */}}
{{- define "triage-mesh.smartKeySecret" -}}
{{- $svc := index .root.Values.services .name }}
{{- if and (eq .name "reporting") $svc.fhir $svc.fhir.smart $svc.fhir.smart.keySecret.name }}{{ $svc.fhir.smart.keySecret | toJson }}{{ end }}
{{- end }}

{{- define "triage-mesh.serviceVolumeMounts" -}}
{{- if include "triage-mesh.smartKeySecret" . }}
- name: smart-key
  mountPath: /etc/triage/smart
  readOnly: true
{{- end }}
{{- end }}

{{- define "triage-mesh.serviceVolumes" -}}
{{- with include "triage-mesh.smartKeySecret" . }}
{{- $ref := fromJson . }}
- name: smart-key
  secret:
    secretName: {{ $ref.name }}
    # 0400 (owner read only), written in decimal: YAML 1.1 and 1.2 read a leading zero differently.
    defaultMode: 256
    items:
      - key: {{ $ref.key }}
        path: {{ $ref.key }}
{{- end }}
{{- end }}

{{/* Extra container ports of a service (ingest's DIMSE and MLLP listeners). */}}
{{- define "triage-mesh.listenerPorts" -}}
{{- $svc := index .root.Values.services .name }}
{{- if eq .name "ingest" }}
{{- if and $svc.dimse $svc.dimse.enabled }}
- name: dicom
  port: {{ $svc.dimse.port }}
{{- end }}
{{- if and $svc.mllp $svc.mllp.enabled }}
- name: mllp
  port: {{ $svc.mllp.port }}
{{- end }}
{{- end }}
{{- end }}

{{/* Outbound TCP ports to peers outside the cluster (EHR FHIR, SMART token endpoint, MLLP receiver, rest-hook
Subscription endpoints, webhooks). */}}
{{- define "triage-mesh.outboundPorts" -}}
{{- $svc := index .root.Values.services .name }}
{{- $ports := list }}
{{- if eq .name "routing" }}
{{- with $svc.webhooks }}
{{- range .urls }}{{ $ports = append $ports (include "triage-mesh.urlPort" .) }}{{ end }}
{{- with .pagerUrl }}{{ $ports = append $ports (include "triage-mesh.urlPort" .) }}{{ end }}
{{- end }}
{{- end }}
{{- if eq .name "reporting" }}
{{- with $svc.fhir }}
{{- with .baseUrl }}{{ $ports = append $ports (include "triage-mesh.urlPort" .) }}{{ end }}
{{- if and .smart .smart.tokenUrl }}{{ $ports = append $ports (include "triage-mesh.urlPort" .smart.tokenUrl) }}{{ end }}
{{- end }}
{{- if and $svc.mllp $svc.mllp.host }}{{ $ports = append $ports (toString $svc.mllp.port) }}{{ end }}
{{- if $svc.subscriptions }}{{ range $svc.subscriptions.allowedOrigins }}{{ $ports = append $ports (include "triage-mesh.urlPort" .) }}{{ end }}{{ end }}
{{- end }}
{{- $ports | uniq | join " " }}
{{- end }}
