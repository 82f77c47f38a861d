CREATE TABLE "databridge_runner"."alert_deliveries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"trigger" text NOT NULL,
	"channel" text NOT NULL,
	"run_id" text,
	"pipeline" text NOT NULL,
	"ok" boolean NOT NULL,
	"attempts" integer NOT NULL,
	"error" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "databridge_runner"."schedule_ticks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"schedule_id" text NOT NULL,
	"tick_at" timestamp with time zone NOT NULL,
	"first_tick_at" timestamp with time zone,
	"ticks" integer,
	"outcome" text NOT NULL,
	"run_id" text,
	"reason" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DROP INDEX "databridge_runner"."schedules_name_idx";--> statement-breakpoint
ALTER TABLE "databridge_runner"."runs" ADD COLUMN "scheduled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "databridge_runner"."schedules" ADD COLUMN "source" text DEFAULT 'api' NOT NULL;--> statement-breakpoint
ALTER TABLE "databridge_runner"."schedules" ADD COLUMN "file" text;--> statement-breakpoint
ALTER TABLE "databridge_runner"."schedules" ADD COLUMN "seconds" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "databridge_runner"."schedules" ADD COLUMN "catch_up" text DEFAULT 'latest' NOT NULL;--> statement-breakpoint
ALTER TABLE "databridge_runner"."schedules" ADD COLUMN "max_active_runs" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "databridge_runner"."schedules" ADD COLUMN "retry_runs" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "databridge_runner"."schedules" ADD COLUMN "retry_backoff_ms" integer DEFAULT 300000 NOT NULL;--> statement-breakpoint
ALTER TABLE "databridge_runner"."schedules" ADD COLUMN "sla" text;--> statement-breakpoint
ALTER TABLE "databridge_runner"."schedules" ADD COLUMN "sla_ms" integer;--> statement-breakpoint
ALTER TABLE "databridge_runner"."schedules" ADD COLUMN "last_tick_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "databridge_runner"."schedule_ticks" ADD CONSTRAINT "schedule_ticks_schedule_id_schedules_id_fk" FOREIGN KEY ("schedule_id") REFERENCES "databridge_runner"."schedules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "alert_deliveries_at_idx" ON "databridge_runner"."alert_deliveries" USING btree ("at");--> statement-breakpoint
CREATE INDEX "schedule_ticks_schedule_idx" ON "databridge_runner"."schedule_ticks" USING btree ("schedule_id","id");--> statement-breakpoint
CREATE INDEX "runs_schedule_idx" ON "databridge_runner"."runs" USING btree ("schedule_id","scheduled_at");--> statement-breakpoint
CREATE UNIQUE INDEX "schedules_source_name_idx" ON "databridge_runner"."schedules" USING btree ("source","name");