"""The README's main flow, through a client generated from openapi/openapi.json by
openapi-python-client: push a profile, record a sanction, check eligibility single and
batch, read the decision back, list the track record. Exits non-zero on any surprise."""
import datetime
import sys

from asn_client import AuthenticatedClient
from asn_client.api.bkn import push_bkn_updates
from asn_client.api.eligibility import check_eligibility, check_eligibility_batch, get_decision
from asn_client.api.registry import get_track_record
from asn_client.api.sanctions import record_sanction
from asn_client.models.batch_in import BatchIn
from asn_client.models.batch_error import BatchError
from asn_client.models.decision_out import DecisionOut
from asn_client.models.purpose import Purpose
from asn_client.models.sanction_in import SanctionIn
from asn_client.models.sanction_out import SanctionOut
from asn_client.models.track_record import TrackRecord
from asn_client.models.updates_in import UpdatesIn
from asn_client.models.updates_out import UpdatesOut

NIP = "198503302010011002"


def expect(response, status, kind):
    if response.status_code != status or not isinstance(response.parsed, kind):
        sys.exit(f"expected {status} {kind.__name__}, got {response.status_code}: {response.content!r}")
    return response.parsed


def main(base_url: str, token: str) -> None:
    client = AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)
    pushed = expect(push_bkn_updates.sync_detailed(client=client, body=UpdatesIn.from_dict({"events": [{
        "event_id": "client-0001", "nip": NIP, "occurred_at": "2024-06-01T02:00:00Z", "type": "asn_upserted",
        "data": {"name": "Siti", "agency_code": "3315", "employment_type": "PNS", "status": "active"}}]})), 200, UpdatesOut)
    assert pushed.results[0].outcome.value in ("applied", "duplicate"), pushed

    sanction = expect(record_sanction.sync_detailed(client=client, idempotency_key="client-sk-1", body=SanctionIn.from_dict({
        "nip": NIP, "type": "PP94_S3",
        "decision": {"number": "800/123/BKPSDM/2024", "date": "2024-03-01", "received_date": "2024-03-04",
                     "issuer": "PPK", "issuer_agency": "3315", "legal_basis": "PP 94/2021 Pasal 8 ayat (3)"},
        "violation": {"category": "neutrality", "description": "Attended a campaign"}})), 201, SanctionOut)
    assert str(sanction.effective_from) == "2024-03-25", sanction.effective_from

    decision = expect(check_eligibility.sync_detailed(NIP, client=client, purpose=Purpose.JPT_SELECTION,
                                                      as_of=datetime.date(2024, 6, 1)), 200, DecisionOut)
    assert decision.outcome.value == "ineligible" and str(decision.eligible_from) == "2027-03-25", decision
    assert [r.code.value for r in decision.reasons] == ["active_sanction", "disciplinary_history"]

    batch = expect(check_eligibility_batch.sync_detailed(client=client, body=BatchIn.from_dict(
        {"purpose": "promotion", "as_of": "2024-06-01", "nips": [NIP, "123"]})), 200, object)
    first, second = batch.results
    assert isinstance(first, DecisionOut) and first.outcome.value == "ineligible", first
    assert isinstance(second, BatchError) and second.error.code.value == "invalid_nip", second

    again = expect(get_decision.sync_detailed(decision.decision_id, client=client), 200, DecisionOut)
    assert again.receipt == decision.receipt and again.outcome == decision.outcome

    record = expect(get_track_record.sync_detailed(NIP, client=client), 200, TrackRecord)
    assert [s.id for s in record.sanctions] == [sanction.id]
    assert "sanction.recorded" in [e.type_ for e in record.events], [e.type_ for e in record.events]
    print("main flow through the generated client: ok")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
