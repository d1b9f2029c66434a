ALTER TABLE asn
    ALTER COLUMN nip TYPE TEXT COLLATE "default",
    ALTER COLUMN agency_code TYPE TEXT COLLATE "default";
