{{/* Names and labels. */}}
{{- define "triage-mesh.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "triage-mesh.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "triage-mesh.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "triage-mesh.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: triage-mesh
{{- end }}

{{- define "triage-mesh.selectorLabels" -}}
app.kubernetes.io/name: {{ include "triage-mesh.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Per service: call with (dict "root" $ "name" "ingest"). */}}
{{- define "triage-mesh.serviceName" -}}
{{- printf "%s-%s" (include "triage-mesh.fullname" .root) .name }}
{{- end }}

{{- define "triage-mesh.componentSelector" -}}
{{ include "triage-mesh.selectorLabels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{- define "triage-mesh.image" -}}
{{- printf "%s/%s:%s" .root.Values.image.repository .name (.root.Values.image.tag | toString) }}
{{- end }}

{{/* Environment every process that talks to Kafka needs; secrets only by reference. Call with the root context. */}}
{{- define "triage-mesh.kafkaSecretEnv" -}}
{{- if .Values.kafka.sasl.mechanism }}
- name: KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ required "kafka.sasl.existingSecret is required when kafka.sasl.mechanism is set" .Values.kafka.sasl.existingSecret }}
      key: {{ .Values.kafka.sasl.usernameKey }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.kafka.sasl.existingSecret }}
      key: {{ .Values.kafka.sasl.passwordKey }}
{{- end }}
{{- end }}

{{- define "triage-mesh.kafkaPlainEnv" -}}
KAFKA_BROKERS: {{ .Values.kafka.bootstrapServers | quote }}
KAFKA_SSL: {{ .Values.kafka.tls.enabled | toString | quote }}
KAFKA_CLIENT_ID: {{ .Values.kafka.clientId | quote }}
KAFKA_GROUP_PREFIX: {{ .Values.kafka.groupPrefix | quote }}
{{- if .Values.kafka.sasl.mechanism }}
KAFKA_SASL_MECHANISM: {{ .Values.kafka.sasl.mechanism | quote }}
{{- end }}
{{- if and .Values.kafka.tls.enabled .Values.kafka.tls.caSecret.name }}
NODE_EXTRA_CA_CERTS: "/etc/triage/kafka-ca/{{ .Values.kafka.tls.caSecret.key }}"
{{- end }}
{{- end }}

{{/* The same plain settings as a container env list (hook Jobs run before the ConfigMaps exist). */}}
{{- define "triage-mesh.kafkaPlainEnvList" -}}
{{- range $k, $v := (include "triage-mesh.kafkaPlainEnv" . | fromYaml) }}
- name: {{ $k }}
  value: {{ $v | quote }}
{{- end }}
{{- end }}

{{- define "triage-mesh.kafkaCaVolume" -}}
{{- if and .Values.kafka.tls.enabled .Values.kafka.tls.caSecret.name }}
- name: kafka-ca
  secret:
    secretName: {{ .Values.kafka.tls.caSecret.name }}
    items:
      - key: {{ .Values.kafka.tls.caSecret.key }}
        path: {{ .Values.kafka.tls.caSecret.key }}
{{- end }}
{{- end }}

{{- define "triage-mesh.kafkaCaMount" -}}
{{- if and .Values.kafka.tls.enabled .Values.kafka.tls.caSecret.name }}
- name: kafka-ca
  mountPath: /etc/triage/kafka-ca
  readOnly: true
{{- end }}
{{- end }}

{{- define "triage-mesh.databaseUrlEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "postgresql.existingSecret is required" .Values.postgresql.existingSecret }}
      key: {{ .Values.postgresql.urlKey }}
{{- end }}

{{/* Settings that keep a process happy on a read-only root filesystem. */}}
{{- define "triage-mesh.runtimeEnv" -}}
- name: HOME
  value: /tmp
- name: CHECKPOINT_DISABLE
  value: "1"
{{- end }}

{{/* Services whose process owns its DATA_DIR alone (journals, pid lock): one replica while it is persistent. */}}
{{- define "triage-mesh.singleWriters" -}}
ingest routing reporting
{{- end }}

{{/* "true" when the service keeps DATA_DIR on a PersistentVolumeClaim. Call with (dict "root" $ "name" NAME). */}}
{{- define "triage-mesh.persistent" -}}
{{- $svc := index .root.Values.services .name }}
{{- if and $svc.persistence $svc.persistence.enabled }}true{{ end }}
{{- end }}

{{/* Refuses replica settings that would put two writers on one DATA_DIR claim, with the reason. */}}
{{- define "triage-mesh.checkPersistence" -}}
{{- $svc := index .root.Values.services .name }}
{{- if include "triage-mesh.persistent" . }}
{{- $many := or (gt (int $svc.replicas) 1) $svc.autoscaling.enabled }}
{{- if and $many (has .name (splitList " " (include "triage-mesh.singleWriters" .))) }}
{{- fail (printf "services.%s: one %s process owns its DATA_DIR (journal, outbox, lock), so with persistence.enabled it must run as a single replica: set services.%s.replicas: 1 and services.%s.autoscaling.enabled: false" .name .name .name .name) }}
{{- end }}
{{- if and $many (not (has "ReadWriteMany" $svc.persistence.accessModes)) }}
{{- fail (printf "services.%s: several replicas share one data claim, which needs persistence.accessModes [ReadWriteMany] (a ReadWriteOnce volume attaches to one node)" .name) }}
{{- end }}
{{- end }}
{{- end }}

{{/* The TCP port of an http(s) URL: explicit, else 443 for https and 80 for http. */}}
{{- define "triage-mesh.urlPort" -}}
{{- $u := urlParse . }}
{{- $explicit := regexFind ":[0-9]+$" $u.host | trimPrefix ":" }}
{{- if $explicit }}{{ $explicit }}{{ else if eq $u.scheme "https" }}443{{ else }}80{{ end }}
{{- end }}

{{/* A Secret reference ({name, key}) as one env entry. Call with (list ENV_NAME REF). */}}
{{- define "triage-mesh.secretEnv" -}}
{{- $ref := index . 1 }}
- name: {{ index . 0 }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.name }}
      key: {{ $ref.key }}
{{- end }}
