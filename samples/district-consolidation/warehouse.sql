-- The consolidated, multi-tenant schema. New ids are UUIDs (from databridge.id_map); the legacy id is
-- kept per tenant for traceability. No FOREIGN KEY constraints on purpose: bulk loads stay fast and
-- `databridge verify` proves there are no orphans instead.
CREATE SCHEMA IF NOT EXISTS district;

CREATE TABLE IF NOT EXISTS district.schools (
  id uuid PRIMARY KEY,
  tenant_id text NOT NULL,
  legacy_id integer NOT NULL,
  name varchar(120) NOT NULL,
  city varchar(80),
  opened_on date,
  UNIQUE (tenant_id, legacy_id)
);

CREATE TABLE IF NOT EXISTS district.students (
  id uuid PRIMARY KEY,
  tenant_id text NOT NULL,
  legacy_id integer NOT NULL,
  school_id uuid NOT NULL,
  given_name varchar(60) NOT NULL,
  family_name varchar(60) NOT NULL,
  full_name varchar(121) NOT NULL,
  birth_date date,
  email varchar(160),
  UNIQUE (tenant_id, legacy_id)
);

CREATE TABLE IF NOT EXISTS district.enrollments (
  id uuid PRIMARY KEY,
  tenant_id text NOT NULL,
  legacy_id integer NOT NULL,
  student_id uuid NOT NULL,
  school_id uuid NOT NULL,
  course_code varchar(12) NOT NULL,
  term varchar(7) NOT NULL,
  grade numeric(3,1),
  UNIQUE (tenant_id, legacy_id)
);
