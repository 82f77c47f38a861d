CREATE SCHEMA IF NOT EXISTS "databridge_runner";
--> statement-breakpoint
CREATE TABLE "databridge_runner"."connections" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"host" text,
	"port" integer,
	"database" text,
	"username" text,
	"url" text,
	"password_encrypted" text,
	"description" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_tested_at" timestamp with time zone,
	"last_test_ok" boolean,
	"last_test_version" text,
	"last_test_error" text
);
--> statement-breakpoint
CREATE TABLE "databridge_runner"."run_batches" (
	"run_id" text NOT NULL,
	"pipeline" text NOT NULL,
	"tenant" text DEFAULT '' NOT NULL,
	"batch" integer NOT NULL,
	"rows_read" integer NOT NULL,
	"rows_written" integer NOT NULL,
	"rows_rejected" integer NOT NULL,
	"last_key" jsonb,
	"rows_per_second" integer,
	"committed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "run_batches_run_id_pipeline_tenant_batch_pk" PRIMARY KEY("run_id","pipeline","tenant","batch")
);
--> statement-breakpoint
CREATE TABLE "databridge_runner"."run_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"seq" integer NOT NULL,
	"type" text NOT NULL,
	"ts" timestamp with time zone NOT NULL,
	"data" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "databridge_runner"."run_stages" (
	"run_id" text NOT NULL,
	"pipeline" text NOT NULL,
	"tenant" text DEFAULT '' NOT NULL,
	"status" text NOT NULL,
	"source" text,
	"target" text,
	"mode" text,
	"estimated_rows" bigint,
	"resume_after" jsonb,
	"batches" integer DEFAULT 0 NOT NULL,
	"rows_read" bigint DEFAULT 0 NOT NULL,
	"rows_written" bigint DEFAULT 0 NOT NULL,
	"rows_rejected" bigint DEFAULT 0 NOT NULL,
	"rows_per_second" integer,
	"eta_ms" bigint,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"duration_ms" integer,
	"error" text,
	"parity" jsonb,
	CONSTRAINT "run_stages_run_id_pipeline_tenant_pk" PRIMARY KEY("run_id","pipeline","tenant")
);
--> statement-breakpoint
CREATE TABLE "databridge_runner"."runs" (
	"id" text PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"pipelines" jsonb NOT NULL,
	"resume" boolean DEFAULT false NOT NULL,
	"batch_size" integer,
	"retry_of" text,
	"trigger" text DEFAULT 'api' NOT NULL,
	"schedule_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"rows_read" bigint DEFAULT 0 NOT NULL,
	"rows_written" bigint DEFAULT 0 NOT NULL,
	"rows_rejected" bigint DEFAULT 0 NOT NULL,
	"duration_ms" integer,
	"error" text,
	"last_event_seq" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "databridge_runner"."schedules" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"cron" text NOT NULL,
	"timezone" text,
	"pipelines" jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_run_id" text,
	"last_run_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "databridge_runner"."run_batches" ADD CONSTRAINT "run_batches_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "databridge_runner"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "databridge_runner"."run_events" ADD CONSTRAINT "run_events_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "databridge_runner"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "databridge_runner"."run_stages" ADD CONSTRAINT "run_stages_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "databridge_runner"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "connections_name_idx" ON "databridge_runner"."connections" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "run_events_run_seq_idx" ON "databridge_runner"."run_events" USING btree ("run_id","seq");--> statement-breakpoint
CREATE INDEX "runs_created_at_idx" ON "databridge_runner"."runs" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "runs_status_idx" ON "databridge_runner"."runs" USING btree ("status");--> statement-breakpoint
CREATE UNIQUE INDEX "schedules_name_idx" ON "databridge_runner"."schedules" USING btree ("name");