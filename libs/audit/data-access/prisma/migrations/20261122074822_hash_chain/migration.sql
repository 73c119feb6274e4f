-- Tamper evidence (issue 6, item 4): every audit_event row becomes a link of one sha256 hash chain.
-- Applies to a store that already holds rows: the columns are added nullable, the existing rows are
-- chained by the backfill below, then the columns are made NOT NULL.
-- The canonical serialisation here must stay byte-identical to canonicalLink() in src/hash-chain.ts.

-- AlterTable
ALTER TABLE "audit_event" ADD COLUMN     "chain_seq" BIGINT,
ADD COLUMN     "envelope_sha256" VARCHAR(64),
ADD COLUMN     "hash" VARCHAR(64),
ADD COLUMN     "prev_hash" VARCHAR(64);

-- CreateTable
CREATE TABLE "audit_chain_head" (
    "id" INTEGER NOT NULL,
    "seq" BIGINT NOT NULL,
    "hash" VARCHAR(64) NOT NULL,

    CONSTRAINT "audit_chain_head_pkey" PRIMARY KEY ("id")
);

-- Backfill: the existing rows are chained in id order (the order they were recorded in). They have no
-- envelope digest (envelope_sha256 stays NULL). No procedural block: @prisma/adapter-pg runs a migration
-- script statement by statement, split at every semicolon, so this is plain SQL: a numbered work table
-- (a real table, since the statements may run on different pooled connections) and a recursive query.
CREATE TABLE "audit_chain_backfill" AS
SELECT n."seq", n."id",
       '14:audit-chain-v1'
       || octet_length(n."seq"::text) || ':' || n."seq"::text
       || octet_length(e."event_id"::text) || ':' || e."event_id"::text
       || octet_length(e."topic") || ':' || e."topic"
       || octet_length(e."type") || ':' || e."type"
       || octet_length(e."schema_version"::text) || ':' || e."schema_version"::text
       || octet_length(e."source") || ':' || e."source"
       || octet_length(e."trace_id") || ':' || e."trace_id"
       || octet_length(e."subject") || ':' || e."subject"
       || '24:' || to_char(e."occurred_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
       || '24:' || to_char(e."recorded_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
       || '~' AS "body"
  FROM (SELECT "id", row_number() OVER (ORDER BY "id") AS "seq" FROM "audit_event") n
  JOIN "audit_event" e ON e."id" = n."id";

CREATE UNIQUE INDEX "audit_chain_backfill_seq_key" ON "audit_chain_backfill"("seq");

WITH RECURSIVE "chain" ("seq", "id", "prev_hash", "hash") AS (
    SELECT b."seq", b."id", repeat('0', 64), encode(sha256(convert_to(b."body" || '64:' || repeat('0', 64), 'UTF8')), 'hex')
      FROM "audit_chain_backfill" b WHERE b."seq" = 1
    UNION ALL
    SELECT b."seq", b."id", c."hash", encode(sha256(convert_to(b."body" || '64:' || c."hash", 'UTF8')), 'hex')
      FROM "chain" c JOIN "audit_chain_backfill" b ON b."seq" = c."seq" + 1
)
UPDATE "audit_event" e
   SET "chain_seq" = c."seq", "prev_hash" = c."prev_hash", "hash" = c."hash"
  FROM "chain" c
 WHERE e."id" = c."id";

DROP TABLE "audit_chain_backfill";

INSERT INTO "audit_chain_head" ("id", "seq", "hash")
SELECT 1, COUNT(*), COALESCE((SELECT "hash" FROM "audit_event" ORDER BY "chain_seq" DESC LIMIT 1), repeat('0', 64))
  FROM "audit_event";

ALTER TABLE "audit_event" ALTER COLUMN "chain_seq" SET NOT NULL,
ALTER COLUMN "hash" SET NOT NULL,
ALTER COLUMN "prev_hash" SET NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "audit_event_chain_seq_key" ON "audit_event"("chain_seq");
