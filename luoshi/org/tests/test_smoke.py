from luoshi.conftest import SmallOrg, client_for


def test_home_page_for_each_role(org: SmallOrg) -> None:
    people = [org.principal, org.deputy, org.supervisor, org.head, org.staff, org.steward, org.enterprise]
    for person in people:
        response = client_for(person).get("/")
        assert response.status_code == 200, person.username
        assert 'data-testid="home-title"' in response.content.decode()
        assert person.name in response.content.decode()
