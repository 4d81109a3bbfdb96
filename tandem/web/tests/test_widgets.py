from django import forms

from tandem.web.forms.widgets import QuickSelect, quicken


class Choose(forms.Form):
    plain = forms.ChoiceField(choices=[("", "—"), ("a", "A & B"), ("b", '"Bee"')], required=False)
    grouped = forms.ChoiceField(choices=[("Sales", [("1", "New"), ("2", "Won")]), ("Other", [("3", "<i>")])])
    many = forms.MultipleChoiceField(choices=[("x", "X")], required=False)


def test_quick_select_renders_what_djangos_select_renders_escaped_and_selected():
    form = Choose(data={"plain": "b", "grouped": "2"})
    quicken(form)

    assert type(form.fields["plain"].widget) is QuickSelect
    assert type(form.fields["many"].widget) is forms.SelectMultiple  # only plain selects change
    assert str(form["plain"]) == (
        '<select name="plain" id="id_plain"><option value="">—</option>'
        '<option value="a">A &amp; B</option><option value="b" selected>&quot;Bee&quot;</option></select>'
    )
    assert str(form["grouped"]) == (
        '<select name="grouped" id="id_grouped"><optgroup label="Sales">'
        '<option value="1">New</option><option value="2" selected>Won</option></optgroup>'
        '<optgroup label="Other"><option value="3">&lt;i&gt;</option></optgroup></select>'
    )


def test_quick_select_of_model_choices_marks_the_chosen_record(db):
    from tandem.contacts.models import Tag

    first, second = Tag.objects.create(name="VIP"), Tag.objects.create(name="R&D")

    class ByTag(forms.Form):
        tag = forms.ModelChoiceField(queryset=Tag.objects.order_by("name"), required=False)

    form = ByTag(data={"tag": str(second.pk)})
    quicken(form)

    assert str(form["tag"]) == (
        '<select name="tag" id="id_tag"><option value="">---------</option>'
        f'<option value="{second.pk}" selected>R&amp;D</option>'
        f'<option value="{first.pk}">VIP</option></select>'
    )
