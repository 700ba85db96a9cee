
\restrict N4zvGJUOBxGrFdUpM5dBAfdshkZfcJWxzYfxpDdHMyb1QYJPZYYEmRLBnsiL2UJ

CREATE EXTENSION IF NOT EXISTS fuzzystrmatch WITH SCHEMA public;

COMMENT ON EXTENSION fuzzystrmatch IS 'determine similarities and distance between strings';

CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

COMMENT ON EXTENSION pg_trgm IS 'text similarity measurement and index searching based on trigrams';

CREATE EXTENSION IF NOT EXISTS postgis WITH SCHEMA public;

COMMENT ON EXTENSION postgis IS 'PostGIS geometry and geography spatial types and functions';

CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;

COMMENT ON EXTENSION unaccent IS 'text search dictionary that removes accents';

CREATE TABLE public.commune_nearest (
    code character varying(5) NOT NULL,
    site_ids text[] NOT NULL,
    distances_m double precision[] NOT NULL
);

CREATE TABLE public.communes (
    code character varying(5) NOT NULL,
    nom text NOT NULL,
    search_name text NOT NULL,
    departement character varying(3) NOT NULL,
    epci character varying(9),
    codes_postaux text[] NOT NULL,
    population integer,
    geom public.geometry(MultiPolygon,4326) NOT NULL,
    point public.geography(Point,4326) GENERATED ALWAYS AS ((public.st_pointonsurface(geom))::public.geography) STORED NOT NULL,
    geom_repaired boolean DEFAULT false NOT NULL,
    CONSTRAINT commune_code_format CHECK (((code)::text ~ '^([0-9]{2}|2[AB])[0-9]{3}$'::text))
);

CREATE TABLE public.datasets (
    name text NOT NULL,
    file text NOT NULL,
    sha256 character varying(64) NOT NULL,
    rows integer NOT NULL,
    source text,
    vintage text,
    loaded_at timestamp with time zone NOT NULL
);

CREATE TABLE public.departements (
    code character varying(3) NOT NULL,
    nom text,
    region character varying(3)
);

CREATE TABLE public.epci (
    siren character varying(9) NOT NULL,
    nom text NOT NULL,
    type character varying(8) NOT NULL
);

CREATE TABLE public.former_communes (
    id integer NOT NULL,
    code character varying(5) NOT NULL,
    nom text,
    type character varying(20) NOT NULL,
    code_actuel character varying(5) NOT NULL
);

CREATE SEQUENCE public.former_communes_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.former_communes_id_seq OWNED BY public.former_communes.id;

CREATE TABLE public.mission_assignments (
    insee character varying(5) NOT NULL,
    site_id text NOT NULL
);

CREATE TABLE public.mission_sites (
    id text NOT NULL,
    name text NOT NULL,
    address text,
    postcode text,
    city text,
    insee character varying(5) NOT NULL,
    kind text,
    phone text,
    website text,
    source text,
    source_date text,
    coord_source text,
    note text,
    superseded_by text,
    location_precision text NOT NULL,
    status text NOT NULL,
    status_reason text,
    geog public.geography(Point,4326),
    CONSTRAINT site_precision CHECK ((location_precision = ANY (ARRAY['address'::text, 'commune'::text]))),
    CONSTRAINT site_status CHECK ((status = ANY (ARRAY['served'::text, 'superseded'::text, 'rejected'::text])))
);

ALTER TABLE ONLY public.former_communes ALTER COLUMN id SET DEFAULT nextval('public.former_communes_id_seq'::regclass);

ALTER TABLE ONLY public.commune_nearest
    ADD CONSTRAINT commune_nearest_pkey PRIMARY KEY (code);

ALTER TABLE ONLY public.communes
    ADD CONSTRAINT communes_pkey PRIMARY KEY (code);

ALTER TABLE ONLY public.datasets
    ADD CONSTRAINT datasets_pkey PRIMARY KEY (name);

ALTER TABLE ONLY public.departements
    ADD CONSTRAINT departements_pkey PRIMARY KEY (code);

ALTER TABLE ONLY public.epci
    ADD CONSTRAINT epci_pkey PRIMARY KEY (siren);

ALTER TABLE ONLY public.former_communes
    ADD CONSTRAINT former_communes_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.mission_assignments
    ADD CONSTRAINT mission_assignments_pkey PRIMARY KEY (insee);

ALTER TABLE ONLY public.mission_sites
    ADD CONSTRAINT mission_sites_pkey PRIMARY KEY (id);

CREATE INDEX communes_codes_postaux_gin ON public.communes USING gin (codes_postaux);

CREATE INDEX communes_departement ON public.communes USING btree (departement);

CREATE INDEX communes_geom_gist ON public.communes USING gist (geom);

CREATE INDEX communes_point_gist ON public.communes USING gist (point);

CREATE INDEX communes_search_name ON public.communes USING btree (search_name text_pattern_ops);

CREATE INDEX ix_former_communes_code ON public.former_communes USING btree (code);

CREATE INDEX ix_mission_assignments_site_id ON public.mission_assignments USING btree (site_id);

CREATE INDEX mission_sites_geog_gist ON public.mission_sites USING gist (geog);

CREATE INDEX mission_sites_served_geog_gist ON public.mission_sites USING gist (geog) WHERE (status = 'served'::text);

ALTER TABLE ONLY public.commune_nearest
    ADD CONSTRAINT commune_nearest_code_fkey FOREIGN KEY (code) REFERENCES public.communes(code);

ALTER TABLE ONLY public.communes
    ADD CONSTRAINT communes_departement_fkey FOREIGN KEY (departement) REFERENCES public.departements(code);

ALTER TABLE ONLY public.communes
    ADD CONSTRAINT communes_epci_fkey FOREIGN KEY (epci) REFERENCES public.epci(siren);

ALTER TABLE ONLY public.former_communes
    ADD CONSTRAINT former_communes_code_actuel_fkey FOREIGN KEY (code_actuel) REFERENCES public.communes(code);

ALTER TABLE ONLY public.mission_assignments
    ADD CONSTRAINT mission_assignments_insee_fkey FOREIGN KEY (insee) REFERENCES public.communes(code);

ALTER TABLE ONLY public.mission_assignments
    ADD CONSTRAINT mission_assignments_site_id_fkey FOREIGN KEY (site_id) REFERENCES public.mission_sites(id);

ALTER TABLE ONLY public.mission_sites
    ADD CONSTRAINT mission_sites_insee_fkey FOREIGN KEY (insee) REFERENCES public.communes(code);

\unrestrict N4zvGJUOBxGrFdUpM5dBAfdshkZfcJWxzYfxpDdHMyb1QYJPZYYEmRLBnsiL2UJ

