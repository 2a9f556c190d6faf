"""A fake of Stripe's API (v1) for the official ``stripe`` client: lists with ``has_more`` and
``starting_after``, exact and case-sensitive ``email`` filters, deleted-customer tombstones,
form-encoded updates, Stripe's error bodies, and failures on demand."""

import itertools
import time
from typing import Any

from tests.fakes.base import FakeServer, Request, Response

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    404: "invalid_request_error",
    429: "rate_limit_error",
}


class FakeStripe(FakeServer):
    routes = [
        ("GET", r"/v1/customers", "list_customers"),
        ("GET", r"/v1/customers/(?P<id>[^/]+)", "get_customer"),
        ("POST", r"/v1/customers/(?P<id>[^/]+)", "update_customer"),
        ("DELETE", r"/v1/customers/(?P<id>[^/]+)", "delete_customer"),
        ("GET", r"/v1/customers/(?P<id>[^/]+)/payment_methods", "list_payment_methods"),
        ("GET", r"/v1/invoices", "list_invoices"),
        ("GET", r"/v1/charges", "list_charges"),
        ("GET", r"/v1/subscriptions", "list_subscriptions"),
    ]

    def __init__(self, api_key: str = "sk_test_dsr") -> None:
        super().__init__()
        self.api_key = api_key
        self.customers: dict[str, dict[str, Any]] = {}
        self.invoices: list[dict[str, Any]] = []
        self.charges: list[dict[str, Any]] = []
        self.subscriptions: list[dict[str, Any]] = []
        self.payment_methods: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    # --- data ------------------------------------------------------------------------------------

    def add_customer(
        self,
        email: str,
        name: str,
        *,
        invoices: int = 0,
        charges: int = 0,
        invoice_years: tuple[int, ...] = (),
    ) -> str:
        customer_id = f"cus_{next(self._ids):06d}"
        self.customers[customer_id] = {
            "id": customer_id,
            "object": "customer",
            "email": email,
            "name": name,
            "created": int(time.time()) - 86400 * 400,
            "metadata": {},
            "livemode": False,
        }
        years = invoice_years or tuple(time.gmtime().tm_year for _ in range(invoices))
        for year in years:
            created = int(time.mktime((year, 3, 1, 12, 0, 0, 0, 0, 0)))
            self.invoices.append(
                {
                    "id": f"in_{next(self._ids):06d}",
                    "object": "invoice",
                    "customer": customer_id,
                    "number": f"INV-{next(self._ids)}",
                    "amount_due": 4990,
                    "currency": "eur",
                    "status": "paid",
                    "created": created,
                }
            )
        for _ in range(charges):
            self.charges.append(
                {
                    "id": f"ch_{next(self._ids):06d}",
                    "object": "charge",
                    "customer": customer_id,
                    "amount": 4990,
                    "currency": "eur",
                    "created": int(time.time()) - 86400 * 30,
                    "paid": True,
                }
            )
        self.subscriptions.append(
            {
                "id": f"sub_{next(self._ids):06d}",
                "object": "subscription",
                "customer": customer_id,
                "status": "active",
            }
        )
        self.payment_methods.append(
            {
                "id": f"pm_{next(self._ids):06d}",
                "object": "payment_method",
                "customer": customer_id,
                "type": "card",
                "card": {"brand": "visa", "last4": "4242", "exp_year": 2030},
            }
        )
        return customer_id

    # --- protocol --------------------------------------------------------------------------------

    def error_body(self, status: int) -> Any:
        kind = ERROR_TYPES.get(status, "api_error")
        return {"error": {"type": kind, "message": f"Fake Stripe error {status}"}}

    def authorised(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return 401, {
                "error": {
                    "type": "invalid_request_error",
                    "message": "Invalid API Key provided: sk_test_****",
                }
            }
        return None

    def _page(self, request: Request, items: list[dict[str, Any]], url: str) -> Response:
        limit = min(int(request.arg("limit", "10")), 100)
        after = request.arg("starting_after")
        if after:
            ids = [item["id"] for item in items]
            items = items[ids.index(after) + 1 :] if after in ids else []
        return 200, {
            "object": "list",
            "url": url,
            "has_more": len(items) > limit,
            "data": items[:limit],
        }

    def list_customers(self, request: Request) -> Response:
        email = request.arg("email")
        found = [
            c
            for c in self.customers.values()
            if not c.get("deleted") and (not email or c["email"] == email)
        ]
        return self._page(request, found, "/v1/customers")

    def get_customer(self, request: Request) -> Response:
        customer = self.customers.get(request.params["id"])
        if customer is None:
            return 404, {
                "error": {
                    "type": "invalid_request_error",
                    "code": "resource_missing",
                    "message": "No such customer",
                }
            }
        if customer.get("deleted"):
            return 200, {"id": customer["id"], "object": "customer", "deleted": True}
        return 200, customer

    def update_customer(self, request: Request) -> Response:
        customer = self.customers.get(request.params["id"])
        if customer is None or customer.get("deleted"):
            return 404, self.error_body(404)
        for key, values in request.form().items():
            if key.startswith("metadata[") and key.endswith("]"):
                customer["metadata"][key[9:-1]] = values[0]
        return 200, customer

    def delete_customer(self, request: Request) -> Response:
        customer = self.customers.get(request.params["id"])
        if customer is None or customer.get("deleted"):
            return 404, self.error_body(404)
        # Deleting a customer cancels their subscriptions at once; invoices and charges stay.
        customer.clear()
        customer.update({"id": request.params["id"], "object": "customer", "deleted": True})
        for subscription in self.subscriptions:
            if subscription["customer"] == request.params["id"]:
                subscription["status"] = "canceled"
        self.payment_methods = [
            p for p in self.payment_methods if p["customer"] != request.params["id"]
        ]
        return 200, {"id": request.params["id"], "object": "customer", "deleted": True}

    def _of_customer(self, request: Request, items: list[dict[str, Any]], url: str) -> Response:
        customer = request.arg("customer") or request.params.get("id", "")
        return self._page(request, [i for i in items if i["customer"] == customer], url)

    def list_invoices(self, request: Request) -> Response:
        return self._of_customer(request, self.invoices, "/v1/invoices")

    def list_charges(self, request: Request) -> Response:
        return self._of_customer(request, self.charges, "/v1/charges")

    def list_subscriptions(self, request: Request) -> Response:
        items = self.subscriptions
        if request.arg("status", "active") != "all":
            items = [s for s in items if s["status"] == "active"]
        return self._of_customer(request, items, "/v1/subscriptions")

    def list_payment_methods(self, request: Request) -> Response:
        return self._of_customer(request, self.payment_methods, "/v1/payment_methods")
