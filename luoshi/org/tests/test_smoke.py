from luoshi.conftest import SmallOrg, client_for


def test_home_page_for_each_role(org: SmallOrg) -> None:
    for person in [org.principal, org.deputy, org.supervisor, org.head, org.staff, org.steward, org.enterprise]:
        response = client_for(person).get("/")
        assert response.status_code == 200, person.username
        assert "欢迎" in response.content.decode() or "Welcome" in response.content.decode()
