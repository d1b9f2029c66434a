CREATE INDEX eligibility_decisions_nip ON eligibility_decisions (nip, evaluated_at);
