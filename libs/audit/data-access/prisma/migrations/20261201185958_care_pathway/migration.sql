-- AlterTable
ALTER TABLE "inference_run" ADD COLUMN     "site" VARCHAR(64);

-- AlterTable
ALTER TABLE "report" ADD COLUMN     "purged_at" TIMESTAMPTZ(3),
ADD COLUMN     "version_id" VARCHAR(64);

-- AlterTable
ALTER TABLE "study" ADD COLUMN     "age_band" VARCHAR(16) NOT NULL DEFAULT 'unknown',
ADD COLUMN     "patient_id" VARCHAR(64),
ADD COLUMN     "patient_id_issuer" VARCHAR(64),
ADD COLUMN     "purged_at" TIMESTAMPTZ(3),
ADD COLUMN     "sex" VARCHAR(1),
ADD COLUMN     "site" VARCHAR(64);

-- CreateTable
CREATE TABLE "study_update" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "trace_id" VARCHAR(32) NOT NULL,
    "study_instance_uid" VARCHAR(64) NOT NULL,
    "revision" INTEGER NOT NULL,
    "changes" TEXT[],
    "added_instance_count" INTEGER NOT NULL,
    "instance_count" INTEGER NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "study_update_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "assignment" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "trace_id" VARCHAR(32) NOT NULL,
    "study_instance_uid" VARCHAR(64) NOT NULL,
    "action" VARCHAR(16) NOT NULL,
    "reader_id" VARCHAR(64),
    "reader_display" VARCHAR(128),
    "pool" VARCHAR(64) NOT NULL,
    "priority" VARCHAR(16) NOT NULL,
    "reasons" JSONB NOT NULL,
    "silent" BOOLEAN NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "assignment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "alert_step" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "trace_id" VARCHAR(32) NOT NULL,
    "study_instance_uid" VARCHAR(64) NOT NULL,
    "alert_id" UUID NOT NULL,
    "action" VARCHAR(16) NOT NULL,
    "tier" VARCHAR(16) NOT NULL,
    "step" INTEGER NOT NULL,
    "recipient_id" VARCHAR(64),
    "role" VARCHAR(32),
    "channels" TEXT[],
    "findings" JSONB NOT NULL,
    "reasons" JSONB NOT NULL,
    "ack_deadline" TIMESTAMPTZ(3),
    "acknowledged_by_id" VARCHAR(64),
    "acknowledged_by_display" VARCHAR(128),
    "at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "alert_step_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "read" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "trace_id" VARCHAR(32) NOT NULL,
    "study_instance_uid" VARCHAR(64) NOT NULL,
    "read_id" UUID NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "reader_id" VARCHAR(64) NOT NULL,
    "reader_display" VARCHAR(128),
    "reader_npi" VARCHAR(32),
    "impression" TEXT,
    "conclusion_codes" JSONB NOT NULL,
    "priority" VARCHAR(16) NOT NULL,
    "claimed_at" TIMESTAMPTZ(3),
    "signed_at" TIMESTAMPTZ(3) NOT NULL,
    "site" VARCHAR(64),
    "age_band" VARCHAR(16) NOT NULL,
    "sex" VARCHAR(1),
    "modalities" TEXT[],
    "body_part" VARCHAR(16),
    "purged_at" TIMESTAMPTZ(3),

    CONSTRAINT "read_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "read_verdict" (
    "id" BIGSERIAL NOT NULL,
    "read_row_id" BIGINT NOT NULL,
    "label" VARCHAR(64) NOT NULL,
    "code_system" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "model_id" VARCHAR(128) NOT NULL,
    "model_version" VARCHAR(64) NOT NULL,
    "ai_positive" BOOLEAN NOT NULL,
    "verdict" VARCHAR(16) NOT NULL,
    "read_positive" BOOLEAN NOT NULL,

    CONSTRAINT "read_verdict_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "delivery" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "trace_id" VARCHAR(32) NOT NULL,
    "study_instance_uid" VARCHAR(64) NOT NULL,
    "delivery_id" VARCHAR(128) NOT NULL,
    "channel" VARCHAR(16) NOT NULL,
    "target" VARCHAR(256) NOT NULL,
    "message_type" VARCHAR(64) NOT NULL,
    "attempt" INTEGER NOT NULL,
    "outcome" VARCHAR(16) NOT NULL,
    "detail" VARCHAR(1024),
    "at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "delivery_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "study_update_event_id_key" ON "study_update"("event_id");

-- CreateIndex
CREATE INDEX "study_update_trace_id_idx" ON "study_update"("trace_id");

-- CreateIndex
CREATE INDEX "study_update_study_instance_uid_idx" ON "study_update"("study_instance_uid");

-- CreateIndex
CREATE UNIQUE INDEX "assignment_event_id_key" ON "assignment"("event_id");

-- CreateIndex
CREATE INDEX "assignment_trace_id_idx" ON "assignment"("trace_id");

-- CreateIndex
CREATE INDEX "assignment_study_instance_uid_idx" ON "assignment"("study_instance_uid");

-- CreateIndex
CREATE UNIQUE INDEX "alert_step_event_id_key" ON "alert_step"("event_id");

-- CreateIndex
CREATE INDEX "alert_step_trace_id_idx" ON "alert_step"("trace_id");

-- CreateIndex
CREATE INDEX "alert_step_study_instance_uid_idx" ON "alert_step"("study_instance_uid");

-- CreateIndex
CREATE INDEX "alert_step_alert_id_idx" ON "alert_step"("alert_id");

-- CreateIndex
CREATE UNIQUE INDEX "read_event_id_key" ON "read"("event_id");

-- CreateIndex
CREATE INDEX "read_trace_id_idx" ON "read"("trace_id");

-- CreateIndex
CREATE INDEX "read_study_instance_uid_idx" ON "read"("study_instance_uid");

-- CreateIndex
CREATE INDEX "read_signed_at_idx" ON "read"("signed_at");

-- CreateIndex
CREATE INDEX "read_verdict_read_row_id_idx" ON "read_verdict"("read_row_id");

-- CreateIndex
CREATE INDEX "read_verdict_model_id_model_version_idx" ON "read_verdict"("model_id", "model_version");

-- CreateIndex
CREATE UNIQUE INDEX "delivery_event_id_key" ON "delivery"("event_id");

-- CreateIndex
CREATE INDEX "delivery_trace_id_idx" ON "delivery"("trace_id");

-- CreateIndex
CREATE INDEX "delivery_study_instance_uid_idx" ON "delivery"("study_instance_uid");

-- CreateIndex
CREATE INDEX "delivery_delivery_id_idx" ON "delivery"("delivery_id");

-- CreateIndex
CREATE INDEX "inference_run_started_at_idx" ON "inference_run"("started_at");

-- AddForeignKey
ALTER TABLE "study_update" ADD CONSTRAINT "study_update_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "audit_event"("event_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "assignment" ADD CONSTRAINT "assignment_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "audit_event"("event_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alert_step" ADD CONSTRAINT "alert_step_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "audit_event"("event_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "read" ADD CONSTRAINT "read_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "audit_event"("event_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "read_verdict" ADD CONSTRAINT "read_verdict_read_row_id_fkey" FOREIGN KEY ("read_row_id") REFERENCES "read"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "delivery" ADD CONSTRAINT "delivery_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "audit_event"("event_id") ON DELETE RESTRICT ON UPDATE CASCADE;

