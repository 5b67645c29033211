package synth

// firstNames and lastNames are the building blocks of generated customer names.
// They are plain ASCII letters so that names and emails never need quoting.
func firstNames() []string {
	return []string{
		"Anna", "Ben", "Clara", "David", "Elena", "Felix", "Grace", "Hugo",
		"Ines", "Jonas", "Karin", "Liam", "Maria", "Noah", "Olivia", "Paul",
		"Quinn", "Rosa", "Samuel", "Tara", "Umar", "Vera", "William", "Xenia",
		"Yusuf", "Zoe", "Amir", "Beatrice", "Carlos", "Daria", "Emil", "Fatima",
		"Giulia", "Henrik", "Ivan", "Julia", "Kenji", "Lucia", "Mateo", "Nina",
		"Oscar", "Priya", "Ravi", "Sofia", "Tomas", "Ula", "Viktor", "Wei",
	}
}

func lastNames() []string {
	return []string{
		"Keller", "Smith", "Garcia", "Novak", "Rossi", "Berg", "Dubois", "Jensen",
		"Kowalski", "Larsen", "Martin", "Nguyen", "Okafor", "Petrov", "Quist", "Romero",
		"Schmidt", "Tanaka", "Urban", "Varga", "Weber", "Yilmaz", "Zimmermann", "Andersen",
		"Brown", "Costa", "Dijkstra", "Eriksson", "Fischer", "Gomez", "Horvat", "Ibrahim",
		"Johansson", "Khan", "Lopez", "Moreau", "Nielsen", "Olsen", "Patel", "Silva",
		"Taylor", "Wagner", "Hughes", "Murphy", "Kim", "Ferrari", "Mendes", "Sato",
	}
}

// emailDomains are reserved for documentation (RFC 2606), so generated
// addresses can never reach a real mailbox.
func emailDomains() []string {
	return []string{"example.com", "example.net", "example.org"}
}
