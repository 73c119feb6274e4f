-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "audit_event" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "topic" VARCHAR(255) NOT NULL,
    "type" VARCHAR(64) NOT NULL,
    "schema_version" INTEGER NOT NULL,
    "source" VARCHAR(32) NOT NULL,
    "trace_id" VARCHAR(32) NOT NULL,
    "subject" VARCHAR(64) NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "study" (
    "id" BIGSERIAL NOT NULL,
    "study_instance_uid" VARCHAR(64) NOT NULL,
    "trace_id" VARCHAR(32) NOT NULL,
    "event_id" UUID NOT NULL,
    "accession_number" VARCHAR(16),
    "modalities" TEXT[],
    "instance_count" INTEGER NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,
    "origin_protocol" VARCHAR(16) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "study_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "inference_run" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "run_index" INTEGER NOT NULL,
    "trace_id" VARCHAR(32) NOT NULL,
    "study_instance_uid" VARCHAR(64) NOT NULL,
    "model_id" VARCHAR(128) NOT NULL,
    "model_version" VARCHAR(64) NOT NULL,
    "model_sha256" VARCHAR(64) NOT NULL,
    "mode" VARCHAR(16) NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "error" VARCHAR(512),
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "latency_ms" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "inference_run_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "finding" (
    "id" BIGSERIAL NOT NULL,
    "run_id" BIGINT NOT NULL,
    "label" VARCHAR(64) NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "code_system" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "code_display" TEXT,
    "probability" DOUBLE PRECISION NOT NULL,
    "threshold" DOUBLE PRECISION NOT NULL,
    "positive" BOOLEAN NOT NULL,
    "critical" BOOLEAN NOT NULL,

    CONSTRAINT "finding_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "priority_decision" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "trace_id" VARCHAR(32) NOT NULL,
    "study_instance_uid" VARCHAR(64) NOT NULL,
    "priority" VARCHAR(16) NOT NULL,
    "score" DOUBLE PRECISION NOT NULL,
    "reasons" JSONB NOT NULL,
    "rule_set_version" VARCHAR(64) NOT NULL,
    "decided_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "priority_decision_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "report" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "trace_id" VARCHAR(32) NOT NULL,
    "study_instance_uid" VARCHAR(64) NOT NULL,
    "report_id" VARCHAR(64) NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "priority" VARCHAR(16) NOT NULL,
    "issued_at" TIMESTAMPTZ(3) NOT NULL,
    "resource" JSONB NOT NULL,

    CONSTRAINT "report_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "audit_event_event_id_key" ON "audit_event"("event_id");

-- CreateIndex
CREATE INDEX "audit_event_trace_id_idx" ON "audit_event"("trace_id");

-- CreateIndex
CREATE INDEX "audit_event_subject_idx" ON "audit_event"("subject");

-- CreateIndex
CREATE UNIQUE INDEX "study_study_instance_uid_key" ON "study"("study_instance_uid");

-- CreateIndex
CREATE INDEX "study_trace_id_idx" ON "study"("trace_id");

-- CreateIndex
CREATE INDEX "study_event_id_idx" ON "study"("event_id");

-- CreateIndex
CREATE INDEX "inference_run_trace_id_idx" ON "inference_run"("trace_id");

-- CreateIndex
CREATE INDEX "inference_run_study_instance_uid_idx" ON "inference_run"("study_instance_uid");

-- CreateIndex
CREATE INDEX "inference_run_model_id_model_version_idx" ON "inference_run"("model_id", "model_version");

-- CreateIndex
CREATE UNIQUE INDEX "inference_run_event_id_run_index_key" ON "inference_run"("event_id", "run_index");

-- CreateIndex
CREATE INDEX "finding_run_id_idx" ON "finding"("run_id");

-- CreateIndex
CREATE UNIQUE INDEX "priority_decision_event_id_key" ON "priority_decision"("event_id");

-- CreateIndex
CREATE INDEX "priority_decision_trace_id_idx" ON "priority_decision"("trace_id");

-- CreateIndex
CREATE INDEX "priority_decision_study_instance_uid_idx" ON "priority_decision"("study_instance_uid");

-- CreateIndex
CREATE UNIQUE INDEX "report_event_id_key" ON "report"("event_id");

-- CreateIndex
CREATE INDEX "report_trace_id_idx" ON "report"("trace_id");

-- CreateIndex
CREATE INDEX "report_study_instance_uid_idx" ON "report"("study_instance_uid");

-- CreateIndex
CREATE INDEX "report_report_id_idx" ON "report"("report_id");

-- AddForeignKey
ALTER TABLE "study" ADD CONSTRAINT "study_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "audit_event"("event_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inference_run" ADD CONSTRAINT "inference_run_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "audit_event"("event_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "finding" ADD CONSTRAINT "finding_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "inference_run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "priority_decision" ADD CONSTRAINT "priority_decision_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "audit_event"("event_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "report" ADD CONSTRAINT "report_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "audit_event"("event_id") ON DELETE RESTRICT ON UPDATE CASCADE;

