"""The product catalog: everyone reads it, administrators maintain it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tandem.core.errors import ApplicationError, PermissionDenied
from tandem.core.pagination import paginate
from tandem.deals import services
from tandem.deals.models import Product
from tandem.web.forms.sales import ProductFilterForm, ProductForm, add_service_error
from tandem.web.views.records import PAGE_SIZE, AuthedRequest, friendly_forbidden, redirect_to, render_page


def _require_catalog_admin(request: AuthedRequest) -> None:
    if not request.user.has_perm("deals.change_product"):
        raise PermissionDenied(_("Only administrators can change the product catalog."))


@login_required
@require_GET
def product_list(request: AuthedRequest) -> HttpResponse:
    filter_form = ProductFilterForm(request.GET or None)
    queryset = filter_form.apply(Product.objects.select_related("category", "currency"))
    page = paginate(queryset, ordering=["name", "id"], cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    context = {
        "filter_form": filter_form,
        "page": page,
        "can_change": request.user.has_perm("deals.change_product"),
    }
    return render_page(request, "web/products/list.html", context, fragment="results")


def _product_form(request: AuthedRequest, product: Product | None) -> HttpResponse:
    form = ProductForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.product_save(actor=request.user, product=product, data=form.cleaned_data)
        except (DjangoValidationError, ApplicationError) as error:
            if isinstance(error, PermissionDenied):
                raise
            add_service_error(form, error)
        else:
            messages.success(request, _("Product %(name)s saved.") % {"name": saved})
            return redirect_to(request, reverse("product_list"))
    context = {
        "form": form,
        "product": product,
        "title": _("Edit %(name)s") % {"name": product} if product else _("New product"),
        "cancel_url": reverse("product_list"),
    }
    return render_page(request, "web/products/form.html", context, fragment="form")


@login_required
@friendly_forbidden
def product_create(request: AuthedRequest) -> HttpResponse:
    _require_catalog_admin(request)
    return _product_form(request, None)


@login_required
@friendly_forbidden
def product_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_catalog_admin(request)
    return _product_form(request, get_object_or_404(Product, pk=pk))
