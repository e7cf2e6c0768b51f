// Swagger UI, served from this binary (no CDN), pointed at our own spec.
window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
